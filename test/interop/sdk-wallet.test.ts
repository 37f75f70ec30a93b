/**
 * Wallets both ways against the real bittensor-wallet (btwallet 4.1.1, in the sdk10 venv): keys it
 * creates (NaCl-encrypted coldkey and hotkey, a plaintext hotkey) are decrypted and used to sign by our
 * real wallet program with the password in btwallet's own `BT_PW_…` variable; keys our program creates
 * load in btwallet with the variable it looks up itself; signatures cross-verify; a wrong password fails
 * on both sides and leaves every file byte-identical. Each encrypted keyfile costs one Argon2i at 512 MiB.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { verify } from "../../src/adapters/wallet/sr25519.ts"
import { type PythonEnv, pythonEnv, peerResult, runPython } from "../support/python-env.ts"
import { repoRoot } from "../support/shared.ts"

/** Several Argon2i runs (512 MiB, 3–20 s each on a busy 2-core machine) per test. */
const SLOW = 240_000

let home: string
let py: PythonEnv
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "dojo-sdk-wallet-"))
  py = await pythonEnv("sdk10")
}, SLOW)
afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

/** The environment both sides run in: HOME is the temp folder (so `~/.bittensor/wallets` is there), no inherited BT_ variables. */
const baseEnv = () => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BT_"))), HOME: home, NO_COLOR: "1" })

/** Our real wallet program, run from `home` (relative wallet paths resolve there, as btwallet's do). */
const ours = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const proc = Bun.spawn(["bun", "run", join(repoRoot, "src/programs/wallet.ts"), ...args], {
    cwd: home,
    env: { ...baseEnv(), ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code, lastLine: stdout.trim().split("\n").at(-1) ?? "" }
}

/** btwallet itself: runs `wallet_peer.py` steps from `home` and returns one result per step. */
const btwallet = async <A = any>(steps: ReadonlyArray<object>, env: Record<string, string> = {}): Promise<Array<A>> => {
  const r = await runPython(py, [join(repoRoot, "test/python/wallet_peer.py")], { cwd: home, stdin: JSON.stringify(steps), env: { ...baseEnv(), ...env } })
  return peerResult<Array<A>>(r, "wallet_peer.py")
}

/** Every file under a folder with its bytes, to prove nothing changed. */
const snapshot = async (dir: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true })) {
    const p = join(dir, entry)
    if ((await stat(p)).isFile()) out[entry] = (await readFile(p)).toString("hex") + `:${(await stat(p)).mtimeMs}`
  }
  return out
}

const COLD_PW = "cold pass é ✓ 1"
const HOT_PW = "hot-pass-2"

describe("wallets both ways with bittensor-wallet 4.1.1", () => {
  // A relative wallet path with dots, a wallet name with '-' and '.': btwallet names its BT_PW_ variable
  // after the path as given (relative stays relative), which is what we must look up.
  const pyWallet = { path: "py.wallets", name: "py-w.1" }
  type Made = { coldkey: string; hotkeys: Record<string, string>; env: Record<string, string> }

  test("btwallet's keys (encrypted coldkey and hotkey, plaintext hotkey) sign in our wallet program with btwallet's BT_PW_ variables", async () => {
    const [made] = await btwallet<Made>([
      { op: "create", ...pyWallet, coldkey_password: COLD_PW, hotkeys: [{ name: "hk.enc", password: HOT_PW }, { name: "plain", password: null }] }
    ])
    if (made === undefined) throw new Error("btwallet created nothing")
    const hkEnc = made.hotkeys["hk.enc"] as string
    expect(Object.keys(made.env).sort()).toEqual(["BT_PW_PY_WALLETS_PY-W_1_COLDKEY", "BT_PW_PY_WALLETS_PY-W_1_HOTKEYS_HK_ENC"])
    const flags = ["--wallet.path", pyWallet.path, "--wallet.name", pyWallet.name]
    // `list` shows btwallet's addresses without decrypting (the encrypted hotkey's from its hk.encpub.txt).
    const list = await ours(["list", "--wallet.path", pyWallet.path])
    expect(list.stdout).toContain(`${pyWallet.name} (${made.coldkey})`)
    expect(list.stdout).toContain(`hk.enc (${hkEnc})`)
    expect(list.stdout).toContain(`plain (${made.hotkeys.plain})`)
    const message = "dojo ↔ btwallet"
    const cold = await ours(["sign", ...flags, "--message", message], made.env)
    expect(cold.stderr).toBe("")
    expect(cold.stdout).toContain(made.coldkey)
    const hot = await ours(["sign", ...flags, "--wallet.hotkey", "hk.enc", "--use-hotkey", "--message", message], made.env)
    expect(hot.stderr).toBe("")
    expect(hot.stdout).toContain(hkEnc)
    const plain = await ours(["sign", ...flags, "--wallet.hotkey", "plain", "--use-hotkey", "--message", message])
    expect(plain.stdout).toContain(made.hotkeys.plain as string)
    // Our signatures verify in btwallet; btwallet's own signature verifies in ours (its encrypted keys
    // sign in the next test, on keys we made: one Argon2i fewer per key here).
    const [v1, v2, v3, bad, s1] = await btwallet([
      { op: "verify", ss58: made.coldkey, message, signature: cold.lastLine },
      { op: "verify", ss58: hkEnc, message, signature: hot.lastLine },
      { op: "verify", ss58: made.hotkeys.plain, message, signature: plain.lastLine },
      { op: "verify", ss58: made.coldkey, message: `${message}!`, signature: cold.lastLine },
      { op: "sign", ...pyWallet, hotkey: "plain", role: "hotkey", message }
    ])
    expect([v1.valid, v2.valid, v3.valid, bad.valid]).toEqual([true, true, true, false])
    expect(s1.ss58).toBe(made.hotkeys.plain)
    expect(verify(message, s1.signature, s1.ss58)).toBe(true)
    expect(verify(`${message}!`, s1.signature, s1.ss58)).toBe(false)
  }, SLOW)

  test("keys our program creates (default ~/.bittensor/wallets) load in btwallet, which finds the password in the BT_PW_ variable it names itself", async () => {
    const root = join(home, ".bittensor", "wallets")
    // btwallet's own name and value for each file; our program reads the same variable when encrypting.
    const [coldVar, hotVar] = await btwallet([
      { op: "env", keyfile: join(root, "ours.w", "coldkey"), password: COLD_PW },
      { op: "env", keyfile: join(root, "ours.w", "hotkeys", "hk"), password: HOT_PW }
    ])
    const env = { [coldVar.name]: coldVar.value, [hotVar.name]: hotVar.value }
    const cold = await ours(["new_coldkey", "--wallet.name", "ours.w"], env)
    expect(cold.code).toBe(0)
    const hot = await ours(["new_hotkey", "--wallet.name", "ours.w", "--wallet.hotkey", "hk", "--use_password"], env)
    expect(hot.code).toBe(0)
    const plain = await ours(["new_hotkey", "--wallet.name", "ours.w", "--wallet.hotkey", "plain"])
    expect(plain.code).toBe(0)
    const address = (r: { stdout: string }) => /(5[1-9A-HJ-NP-Za-km-z]{47}) written/.exec(r.stdout)?.[1]
    expect((await readFile(join(root, "ours.w", "coldkey"), "latin1")).startsWith("$NACL")).toBe(true)
    expect((await readFile(join(root, "ours.w", "hotkeys", "hk"), "latin1")).startsWith("$NACL")).toBe(true)

    const message = "signed by btwallet with a key Dojo made"
    const step = (hotkey: string, role: string) => ({ op: "sign", path: "~/.bittensor/wallets", name: "ours.w", hotkey, role, message })
    const [c, h, p, pub] = await btwallet([step("hk", "coldkey"), step("hk", "hotkey"), step("plain", "hotkey"), step("hk", "coldkeypub")], env)
    expect([c.ss58, h.ss58, p.ss58, pub.ss58]).toEqual([address(cold), address(hot), address(plain), address(cold)])
    expect(verify(message, c.signature, c.ss58)).toBe(true)
    expect(verify(message, h.signature, h.ss58)).toBe(true)
    expect(verify(message, p.signature, p.ss58)).toBe(true)
  }, SLOW)

  test("a wrong password fails on both sides with a clear error and changes no file", async () => {
    const ourRoot = join(home, ".bittensor", "wallets")
    const before = { py: await snapshot(join(home, pyWallet.path)), ours: await snapshot(ourRoot) }
    // The wrong password in the right variable, encoded by btwallet itself.
    const [wrongPy, wrongOurs] = await btwallet([
      { op: "env", keyfile: `${pyWallet.path}/${pyWallet.name}/coldkey`, password: "not the password" },
      { op: "env", keyfile: join(ourRoot, "ours.w", "coldkey"), password: "not the password" }
    ])
    const r = await ours(["sign", "--wallet.path", pyWallet.path, "--wallet.name", pyWallet.name, "--message", "x"], { [wrongPy.name]: wrongPy.value })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`the password in ${wrongPy.name} does not decrypt`)
    expect(r.stdout + r.stderr).not.toContain("not the password")
    const [theirs] = await btwallet([{ op: "sign", path: "~/.bittensor/wallets", name: "ours.w", hotkey: "hk", role: "coldkey", message: "x" }], {
      [wrongOurs.name]: wrongOurs.value
    })
    expect(theirs.error).toMatch(/wrong password/i)
    expect(await snapshot(join(home, pyWallet.path))).toEqual(before.py)
    expect(await snapshot(ourRoot)).toEqual(before.ours)
  }, SLOW)
})
