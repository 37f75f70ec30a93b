/** Ctrl-C on the demo stops every process it started. */
import { expect, test } from "bun:test"
import { repoRoot } from "../support/shared.ts"

const processesMentioning = async (text: string): Promise<string[]> => {
  const ps = Bun.spawn(["ps", "-eo", "args"], { stdout: "pipe" })
  return (await new Response(ps.stdout).text()).split("\n").filter((l) => l.includes(text) && !l.startsWith("ps "))
}

test("SIGINT while the neurons run: every miner and validator process is gone", async () => {
  const demo = Bun.spawn(["bun", "run", "src/programs/demo.ts", "--short"], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" })
  const decoder = new TextDecoder()
  let out = ""
  const reader = demo.stdout.getReader()
  // Read until the neurons are up and working.
  while (!out.includes("let the validators query")) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`demo ended early:\n${out}`)
    out += decoder.decode(value)
  }
  const workDir = out.match(/a local subnet in (\S+)/)![1]!
  // The neurons are started with --wallet.path inside the work dir, so their command lines name it.
  expect((await processesMentioning(workDir)).length).toBeGreaterThanOrEqual(5)
  demo.kill("SIGINT")
  await demo.exited
  let left = await processesMentioning(workDir)
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await Bun.sleep(250)
    left = await processesMentioning(workDir)
  }
  expect(left).toEqual([])
}, 180_000)
