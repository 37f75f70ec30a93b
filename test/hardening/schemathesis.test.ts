/**
 * Schemathesis (the pinned PyPI release in `pythonEnv("sdk10")`) against the scoring API's own OpenAPI
 * document, served by the real validator HTTP server with a real miner behind it: every operation, in
 * every phase (examples, coverage, fuzzing, stateful), every check (no 5xx, only documented statuses,
 * response schemas and content types as documented, invalid data refused, valid data accepted, auth not
 * ignored, 405 for undeclared methods). A bounded number of examples per operation and a fixed seed keep
 * it to a few seconds and reproducible.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pythonEnv } from "../support/python-env.ts"
import { startValidatorApiWorld, type ValidatorApiWorld } from "../support/validator-api-world.ts"

setDefaultTimeout(120_000)

let world: ValidatorApiWorld
/** The environment without FORCE_COLOR (our test runner sets it to "0", which rich reads as "force colour"). */
const withoutForceColor = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "FORCE_COLOR"))

const dir = mkdtempSync(join(tmpdir(), "dojo-schemathesis-"))
beforeAll(async () => {
  world = await startValidatorApiWorld()
})
afterAll(async () => {
  await world.close()
  rmSync(dir, { recursive: true, force: true })
})

test("schemathesis finds no failure in any operation of /api/v1/openapi.json", async () => {
  const env = await pythonEnv("sdk10")
  // A request that exists, so GET /api/v1/score/{id} is tested on its 200 path too (random ids only 404).
  const created = await fetch(`${world.api}/api/v1/score`, {
    method: "POST",
    headers: { authorization: `Bearer ${world.key}`, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Which is clearer?", completions: ["the first", "the second"] })
  })
  expect(created.status).toBe(200)
  const { request_id } = (await created.json()) as { request_id: string }
  const config = join(dir, "schemathesis.toml")
  writeFileSync(config, `[[operations]]\ninclude-name = "GET /api/v1/score/{id}"\nparameters = { id = ${JSON.stringify(request_id)} }\n`)

  const proc = Bun.spawn(
    [
      env.bin("st"),
      "--no-color",
      "--config-file",
      config,
      "run",
      `${world.api}/api/v1/openapi.json`,
      "--header",
      `Authorization: Bearer ${world.key}`,
      "--checks",
      "all",
      "--max-examples",
      process.env.DOJO_SCHEMATHESIS_EXAMPLES ?? "25",
      "--seed",
      "1",
      "--workers",
      "1",
      "--request-timeout",
      "20"
    ],
    { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...withoutForceColor(), NO_COLOR: "1", PYTHONDONTWRITEBYTECODE: "1" } }
  )
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  // Plain text whatever the caller's terminal settings (rich treats any FORCE_COLOR, even "0", as "force").
  const report = `${out}\n${err}`.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "")
  if (code !== 0) console.log(report.slice(-8000))
  expect(report).toContain("Operations:       2 selected / 2 total")
  expect(report).not.toContain("Server error")
  expect(code).toBe(0)
})
