import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtemp, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { keypairFromMnemonic, verify } from "../../src/adapters/wallet/sr25519.ts"
import { repoRoot, readVector } from "../support/shared.ts"

const v = readVector("keyfile-nacl.json")
const nacl = v.nacl_keyfiles[0]
const key1 = v.keys.find((k: any) => nacl.decrypted_utf8.includes(k.mnemonic))
const key2 = v.keys.find((k: any) => k !== key1)
/** Each spawn starts Bun and the sr25519/libsodium WASM (1–3 s on a busy machine). */
const SPAWNS = 60_000
/** Two Argon2i runs at 512 MiB (encrypt, then decrypt in another process), 8–20 s each under load. */
const SLOW = 180_000

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "dojo-wallet-cli-"))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** Runs the wallet CLI with BT_WALLET_PATH = the temp root and no inherited wallet or password variables. */
const cli = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BT_")))
  const proc = Bun.spawn(["bun", "run", "src/programs/wallet.ts", ...args], {
    cwd: repoRoot,
    env: { ...base, NO_COLOR: "1", BT_WALLET_PATH: root, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { stdout, stderr, code, lastLine: stdout.trim().split("\n").at(-1) ?? "" }
}

describe("wallet CLI", () => {
  test("--help lists every subcommand", async () => {
    const r = await cli(["--help"])
    expect(r.code).toBe(0)
    for (const sub of ["new_coldkey", "new_hotkey", "regen_coldkey", "regen_hotkey", "regen_coldkeypub", "list", "sign"]) {
      expect(r.stdout).toContain(sub)
    }
    expect(r.stdout).toContain("--wallet.name")
  }, SPAWNS)

  test("regen_coldkey --no_password from the vector mnemonic writes the SDK's bytes, never echoes the mnemonic", async () => {
    const r = await cli(["regen_coldkey", "--wallet.name", "vec", "--mnemonic", key1.mnemonic, "--no_password"])
    expect(r.code).toBe(0)
    expect(r.stdout + r.stderr).not.toContain(key1.mnemonic.split(" ").slice(0, 3).join(" "))
    expect(await readFile(join(root, "vec", "coldkey"), "utf8")).toBe(nacl.unencrypted_hotkey_file_utf8)
    expect(await readFile(join(root, "vec", "coldkeypub.txt"), "utf8")).toBe(nacl.coldkeypub_txt_utf8)
    expect((await stat(join(root, "vec", "coldkey"))).mode & 0o777).toBe(0o600)

    const again = await cli(["regen_coldkey", "--wallet.name", "vec", "--mnemonic", key2.mnemonic, "--no_password"])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("--overwrite")
    expect(await readFile(join(root, "vec", "coldkey"), "utf8")).toBe(nacl.unencrypted_hotkey_file_utf8)
  }, SPAWNS)

  test("regen_hotkey, list, then sign with coldkey and hotkey: the last line verifies", async () => {
    expect((await cli(["regen_hotkey", "--wallet.name", "vec", "--wallet.hotkey", "hk", "--mnemonic", key2.mnemonic])).code).toBe(0)

    const list = await cli(["list"])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(new RegExp(`vec \\(${key1.ss58_address_format42}\\)`))
    expect(list.stdout).toMatch(new RegExp(`hk \\(${key2.ss58_address_format42}\\)`))

    const cold = await cli(["sign", "--wallet.name", "vec", "--message", "hello dojo"])
    expect(cold.code).toBe(0)
    expect(cold.lastLine).toMatch(/^0x[0-9a-f]{128}$/)
    expect(verify("hello dojo", cold.lastLine, key1.ss58_address_format42)).toBe(true)
    expect(verify("hello doj0", cold.lastLine, key1.ss58_address_format42)).toBe(false)

    // Name and hotkey from the environment; the flag would win over them.
    const hot = await cli(["sign", "--message", "hello dojo", "--use-hotkey"], { BT_WALLET_NAME: "vec", BT_WALLET_HOTKEY: "hk" })
    expect(hot.code).toBe(0)
    expect(verify("hello dojo", hot.lastLine, key2.ss58_address_format42)).toBe(true)
    const flagWins = await cli(["sign", "--message", "m", "--use-hotkey", "--wallet.hotkey", "nope"], { BT_WALLET_NAME: "vec", BT_WALLET_HOTKEY: "hk" })
    expect(flagWins.code).toBe(1)
    expect(flagWins.stderr).toContain(join(root, "vec", "hotkeys", "nope"))
  }, SPAWNS)

  test("new_coldkey shows the new mnemonic exactly once, and it regenerates the written key", async () => {
    const r = await cli(["new_coldkey", "--wallet.name", "fresh", "--no_password", "--n_words", "15"])
    expect(r.code).toBe(0)
    const phrase = r.stdout.split("\n").find((line) => /^([a-z]+ ){14}[a-z]+$/.test(line))
    expect(phrase).toBeDefined()
    expect(r.stdout.split(phrase!).length - 1).toBe(1)
    expect(r.stderr).not.toContain(phrase!)
    const pub = JSON.parse(await readFile(join(root, "fresh", "coldkeypub.txt"), "utf8"))
    expect(pub.ss58Address).toBe(keypairFromMnemonic(phrase!).ss58Address)
  }, SPAWNS)

  test("an encrypted coldkey: no password source is a clear error; with BT_COLD_PW_<NAME> it is written as $NACL and signs", async () => {
    const noPw = await cli(["regen_coldkey", "--wallet.name", "enc-wallet", "--mnemonic", key1.mnemonic])
    expect(noPw.code).toBe(1)
    expect(noPw.stderr).toContain("BT_COLD_PW_ENC_WALLET")

    const env = { BT_COLD_PW_ENC_WALLET: "a strong passphrase" }
    const made = await cli(["regen_coldkey", "--wallet.name", "enc-wallet", "--mnemonic", key1.mnemonic], env)
    expect(made.code).toBe(0)
    const file = await readFile(join(root, "enc-wallet", "coldkey"))
    expect(file.subarray(0, 5).toString()).toBe("$NACL")
    expect(file.toString("latin1")).not.toContain("secretPhrase")
    expect((await stat(join(root, "enc-wallet", "coldkey"))).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(join(root, "enc-wallet", "coldkeypub.txt"), "utf8")).ss58Address).toBe(key1.ss58_address_format42)

    const signed = await cli(["sign", "--wallet.name", "enc-wallet", "--message", "encrypted"], env)
    expect(signed.code).toBe(0)
    expect(verify("encrypted", signed.lastLine, key1.ss58_address_format42)).toBe(true)
    expect(signed.stdout + signed.stderr).not.toContain(env.BT_COLD_PW_ENC_WALLET)

    const locked = await cli(["sign", "--wallet.name", "enc-wallet", "--message", "x"])
    expect(locked.code).toBe(1)
    expect(locked.stderr).toContain("BT_COLD_PW_ENC_WALLET")
  }, SLOW)

  test("regen_coldkeypub and bad command lines", async () => {
    expect((await cli(["regen_coldkeypub", "--wallet.name", "watch", "--public_key", key2.public_key_hex])).code).toBe(0)
    expect(JSON.parse(await readFile(join(root, "watch", "coldkeypub.txt"), "utf8")).ss58Address).toBe(key2.ss58_address_format42)
    const both = await cli(["regen_coldkeypub", "--wallet.name", "w2", "--public_key", key2.public_key_hex, "--ss58_address", key2.ss58_address_format42])
    // Two flags that exclude each other: a bad command line, exit 2 like a bad flag.
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("give exactly one of --ss58_address or --public_key")
    expect((await cli(["new_hotkey", "--n_words", "13"])).code).toBe(2)
    expect((await cli(["sign"])).code).toBe(2)
  }, SPAWNS)
})
