import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import fc from "fast-check"
import { hexToU8a, u8aToHex } from "@polkadot/util"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  CiphertextMalformed,
  DecryptionFailed,
  fernetKey,
  fernetOpen,
  naclKey,
  naclOpen,
  naclSeal
} from "../../../src/adapters/wallet/keyfile-crypto.ts"
import { passwordToDecrypt } from "../../../src/adapters/wallet/keyfile-password.ts"
import { keypairFromUri, signHex, verify } from "../../../src/adapters/wallet/sr25519.ts"
import {
  layer,
  layerDev,
  listWallets,
  newColdkey,
  newHotkey,
  regenColdkey,
  regenColdkeypub,
  regenHotkey
} from "../../../src/adapters/wallet/wallet-fs.ts"
import { btwalletPasswordEnvVar, encodeEnvPassword } from "../../../src/domain/wallet/keyfile.ts"
import { Wallet, type WalletConfig } from "../../../src/services/wallet.ts"
import { readVector } from "../../support/shared.ts"

const v = readVector("keyfile-nacl.json")
const nacl = v.nacl_keyfiles[0]
const fernet = v.legacy_fernet_keyfile
const key1 = v.keys.find((k: any) => nacl.decrypted_utf8.includes(k.mnemonic))
const naclFile = new Uint8Array(Buffer.from(nacl.file_bytes_base64, "base64"))
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const SECRETS = [key1.mnemonic, key1.mini_secret_seed_hex.slice(2), key1.keyfile_privateKey_hex_schnorrkel_to_bytes.slice(2), nacl.password, fernet.password]

/** Runs an effect with exactly these "environment variables" (no process.env). */
const run = <A, E>(effect: Effect.Effect<A, E, never>, env: Record<string, string> = {}) =>
  Effect.runPromiseExit(effect.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))))

const failure = <A, E>(exit: Exit.Exit<A, E>): E & { _tag: string; message: string } => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (error === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
  const e = error as E & { _tag: string; message: string }
  for (const s of SECRETS) expect(e.message.includes(s)).toBe(false)
  return e
}
const success = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected success, got ${JSON.stringify(exit.cause)}`)
  return exit.value
}

const withWallet = <A, E>(config: WalletConfig, f: (w: Wallet["Type"]) => Effect.Effect<A, E>) =>
  Effect.flatMap(Wallet, f).pipe(Effect.provide(layer(config)))

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "dojo-wallet-"))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})
/** Argon2i at 512 MiB takes seconds (10 s on a busy 2-core machine); PBKDF2 10M about 2 s. */
const SLOW = 180_000

const cfg = (name: string, hotkey = "default"): WalletConfig => ({ path: root, name, hotkey })

describe("NaCl keyfiles (Argon2i at 512 MiB, derived once here)", () => {
  let vectorKey: Redacted.Redacted<Uint8Array>

  test("Argon2i key of the vector password", async () => {
    const t0 = performance.now()
    vectorKey = success(await run(naclKey(Redacted.make(nacl.password))))
    console.log(`argon2i (libsodium-wrappers-sumo WASM, opslimit 8, 512 MiB): ${(performance.now() - t0).toFixed(0)} ms`)
    expect(Buffer.from(Redacted.value(vectorKey)).toString("hex")).toBe(nacl.argon2i_derived_key_hex)
  }, SLOW)

  test("the vector file opens to the SDK's plaintext", async () => {
    expect(naclFile.length).toBe(nacl.file_length)
    expect(Buffer.from(naclFile.subarray(5, 29)).toString("hex")).toBe(nacl.nonce_hex)
    expect(dec(success(await run(naclOpen(naclFile, vectorKey))))).toBe(nacl.decrypted_utf8)
  })

  test("sealing is deterministic given the nonce and reproduces the vector file byte for byte", () => {
    expect(Buffer.from(naclSeal(enc(nacl.decrypted_utf8), vectorKey, hexToU8a(`0x${nacl.nonce_hex}`))).toString("base64")).toBe(nacl.file_bytes_base64)
  })

  test("seal → open round trip for any plaintext; fresh nonces; any flipped byte fails", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.nat(), async (plain, at) => {
        const a = naclSeal(plain, vectorKey)
        const b = naclSeal(plain, vectorKey)
        expect(u8aToHex(a.subarray(5, 29))).not.toBe(u8aToHex(b.subarray(5, 29)))
        expect(u8aToHex(success(await run(naclOpen(a, vectorKey))))).toBe(u8aToHex(plain))
        const tampered = a.slice()
        const i = 5 + (at % (tampered.length - 5))
        tampered[i] = tampered[i]! ^ 1
        expect(failure(await run(naclOpen(tampered, vectorKey)))).toBeInstanceOf(DecryptionFailed)
      }),
      { numRuns: 50 }
    )
  })

  test("another key fails as DecryptionFailed, short data as CiphertextMalformed", async () => {
    expect(failure(await run(naclOpen(naclFile, Redacted.make(new Uint8Array(32)))))).toBeInstanceOf(DecryptionFailed)
    expect(failure(await run(naclOpen(naclFile.subarray(0, 40), vectorKey)))).toBeInstanceOf(CiphertextMalformed)
  })

  test("Wallet.coldkey with a wrong password: WrongPassword naming the variable, file untouched", async () => {
    const dir = join(root, "naclwrong")
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, "coldkey"), naclFile, { mode: 0o600 })
    const before = await stat(join(dir, "coldkey"))
    const e = failure(await run(withWallet(cfg("naclwrong"), (w) => w.coldkey), { BT_COLD_PW_NACLWRONG: "not the password" }))
    expect(e._tag).toBe("WrongPassword")
    expect(e.message).toContain("BT_COLD_PW_NACLWRONG")
    expect(e.message.includes("not the password")).toBe(false)
    expect(Buffer.from(await readFile(join(dir, "coldkey"))).toString("base64")).toBe(nacl.file_bytes_base64)
    expect((await stat(join(dir, "coldkey"))).mtimeMs).toBe(before.mtimeMs)
  }, SLOW)
})

describe("legacy Fernet keyfiles (read only)", () => {
  test("PBKDF2 10M key and decryption of the vector; Wallet.coldkey reads it", async () => {
    const t0 = performance.now()
    const key = success(await run(fernetKey(Redacted.make(fernet.password))))
    console.log(`fernet PBKDF2-HMAC-SHA256 10M iterations (node:crypto): ${(performance.now() - t0).toFixed(0)} ms`)
    expect(Buffer.from(Redacted.value(key)).toString("base64url") + "=").toBe(fernet.fernet_key_urlsafe_b64)
    expect(dec(success(await run(fernetOpen(enc(fernet.file_utf8), key))))).toBe(fernet.decrypted_utf8)
    expect(failure(await run(fernetOpen(enc(fernet.file_utf8), Redacted.make(new Uint8Array(32)))))).toBeInstanceOf(DecryptionFailed)
    expect(failure(await run(fernetOpen(enc("gAAAAA!!"), key)))).toBeInstanceOf(CiphertextMalformed)

    const dir = join(root, "fernet")
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, "coldkey"), fernet.file_utf8, { mode: 0o600 })
    const kp = success(await run(withWallet(cfg("fernet"), (w) => w.coldkey), { BT_COLD_PW_FERNET: fernet.password }))
    expect(kp.ss58Address).toBe(key1.ss58_address_format42)
    expect(verify("m", signHex(kp, "m"), key1.ss58_address_format42)).toBe(true)
  }, SLOW)
})

describe("other keyfile formats", () => {
  const put = async (name: string, file: string, content: string | Uint8Array) => {
    await mkdir(join(root, name, "hotkeys"), { recursive: true })
    await writeFile(join(root, name, file), content, { mode: 0o600 })
  }

  test("an Ansible vault is refused with a btcli conversion hint, without asking a password", async () => {
    await put("ansible", "coldkey", "$ANSIBLE_VAULT;1.1;AES256\n3132333435\n")
    const e = failure(await run(withWallet(cfg("ansible"), (w) => w.coldkey)))
    expect(e._tag).toBe("UnsupportedKeyfile")
    expect(e.message).toContain("btcli")
  })

  test("btwallet-style compact JSON without nulls, in another key order", async () => {
    const full = JSON.parse(nacl.decrypted_utf8)
    await put("btwallet", "hotkeys/default", JSON.stringify({ ss58Address: full.ss58Address, secretPhrase: full.secretPhrase, publicKey: full.publicKey }))
    expect(success(await run(withWallet(cfg("btwallet"), (w) => w.hotkey))).ss58Address).toBe(key1.ss58_address_format42)
  })

  test("a privateKey-only file is converted (scalar × 8) and proven by a signature", async () => {
    await put("privonly", "hotkeys/default", JSON.stringify({ publicKey: key1.public_key_hex, privateKey: key1.keyfile_privateKey_hex_schnorrkel_to_bytes }))
    const kp = success(await run(withWallet(cfg("privonly"), (w) => w.hotkey)))
    expect(u8aToHex(Redacted.value(kp.secretKey!))).toBe(key1.polkadotjs_style_secretKey_hex_ed25519_bytes)
    expect(verify("x", signHex(kp, "x"), key1.public_key_hex)).toBe(true)
  })

  test("a privateKey of another key, or a seed disagreeing with publicKey, is KeyfileMalformed", async () => {
    const other = v.keys.find((k: any) => k !== key1)
    await put("mismatch1", "hotkeys/default", JSON.stringify({ publicKey: key1.public_key_hex, privateKey: other.keyfile_privateKey_hex_schnorrkel_to_bytes }))
    await put("mismatch2", "hotkeys/default", JSON.stringify({ publicKey: key1.public_key_hex, secretSeed: other.mini_secret_seed_hex }))
    for (const name of ["mismatch1", "mismatch2"]) {
      const e = failure(await run(withWallet(cfg(name), (w) => w.hotkey)))
      expect(e._tag).toBe("KeyfileMalformed")
    }
  })

  test("a bare 0x public key serves as coldkeypub; a public-only coldkey cannot sign", async () => {
    await put("bare", "coldkeypub.txt", `${key1.public_key_hex}\n`)
    await put("bare", "coldkey", nacl.coldkeypub_txt_utf8)
    expect(success(await run(withWallet(cfg("bare"), (w) => w.coldkeypub))).ss58Address).toBe(key1.ss58_address_format42)
    expect(failure(await run(withWallet(cfg("bare"), (w) => w.coldkey)))._tag).toBe("KeyfilePublicOnly")
  })

  test("a missing hotkey is KeyfileNotFound with the path and how to create it", async () => {
    const e = failure(await run(withWallet(cfg("nowhere", "hk"), (w) => w.hotkey)))
    expect(e._tag).toBe("KeyfileNotFound")
    expect(e.message).toContain(join(root, "nowhere", "hotkeys", "hk"))
    expect(e.message).toContain("new_hotkey")
  })

  test("a wallet name that is not one path segment is refused when the layer is built", async () => {
    expect(failure(await run(withWallet(cfg("../escape"), (w) => w.coldkeypub)))._tag).toBe("InvalidKeyInput")
  })
})

describe("passwords", () => {
  const target = { path: "/home/alice/.bittensor/wallets/my-wallet/coldkey", walletName: "my-wallet", role: "coldkey" as const }
  const notTty = <A>(f: () => Promise<A>) => async () => {
    const was = process.stdin.isTTY
    process.stdin.isTTY = false
    try {
      return await f()
    } finally {
      process.stdin.isTTY = was
    }
  }

  test(
    "BT_COLD_PW_<NAME> first, then btwallet's BT_PW_<PATH>, else PasswordUnavailable naming the variable",
    notTty(async () => {
      const b = v.env_lookup_btwallet_4
      const both = { [v.env_lookup_v7.env_var]: v.env_lookup_v7.resolved, [b.env_var]: b.env_value_base64 }
      const p1 = success(await run(passwordToDecrypt(target), both))
      expect([p1.source, Redacted.value(p1.value)]).toEqual([v.env_lookup_v7.env_var, v.env_lookup_v7.resolved])
      const p2 = success(await run(passwordToDecrypt(target), { [b.env_var]: b.env_value_base64 }))
      expect([p2.source, Redacted.value(p2.value)]).toEqual([b.env_var, b.password])
      const e = failure(await run(passwordToDecrypt(target)))
      expect(e._tag).toBe("PasswordUnavailable")
      expect(e.message).toContain(v.env_lookup_v7.env_var)
      const hot = failure(await run(passwordToDecrypt({ ...target, role: "hotkey", path: "/w/x/hotkeys/h" })))
      expect(hot.message).toContain(btwalletPasswordEnvVar("/w/x/hotkeys/h"))
    })
  )

  test(
    "new_coldkey without a password source fails before writing anything",
    notTty(async () => {
      const e = failure(await run(newColdkey(cfg("nopw"), 12)))
      expect(e._tag).toBe("PasswordUnavailable")
      expect(await readdir(root)).not.toContain("nopw")
    })
  )

  test("the btwallet value round-trips through the encoder for this wallet's path", () => {
    const name = btwalletPasswordEnvVar(target.path)
    expect(encodeEnvPassword(Redacted.make(v.env_lookup_btwallet_4.password), name)).toBe(v.env_lookup_btwallet_4.env_value_base64)
  })
})

describe("creating keys", () => {
  const mode = async (p: string) => (await stat(p)).mode & 0o777

  test("regen_coldkey (no password): files byte-identical to the SDK's, 0600 in 0700 folders; the Wallet reads them", async () => {
    const c = cfg("regen")
    const made = success(await run(regenColdkey(c, { _tag: "Mnemonic", mnemonic: Redacted.make(`  ${key1.mnemonic.replaceAll(" ", "   ")} `) }, { usePassword: false })))
    expect(made.mnemonic).toBeUndefined()
    expect(await readFile(join(root, "regen", "coldkey"), "utf8")).toBe(nacl.unencrypted_hotkey_file_utf8)
    expect(await readFile(join(root, "regen", "coldkeypub.txt"), "utf8")).toBe(nacl.coldkeypub_txt_utf8)
    expect(await mode(join(root, "regen", "coldkey"))).toBe(0o600)
    expect(await mode(join(root, "regen", "coldkeypub.txt"))).toBe(0o600)
    expect(await mode(join(root, "regen"))).toBe(0o700)
    const [cold, pub] = success(await run(withWallet(c, (w) => Effect.all([w.coldkey, w.coldkeypub]))))
    expect(cold.ss58Address).toBe(key1.ss58_address_format42)
    expect(pub.secretKey).toBeUndefined()
  })

  test("never overwrites without --overwrite (file untouched); with it, replaces atomically", async () => {
    const c = cfg("regen")
    const path = join(root, "regen", "coldkey")
    const before = await readFile(path, "utf8")
    const other = v.keys.find((k: any) => k !== key1)
    const e = failure(await run(regenColdkey(c, { _tag: "Mnemonic", mnemonic: Redacted.make(other.mnemonic) }, { usePassword: false })))
    expect(e._tag).toBe("KeyfileExists")
    expect(e.message).toContain("--overwrite")
    expect(await readFile(path, "utf8")).toBe(before)
    success(await run(regenColdkey(c, { _tag: "Mnemonic", mnemonic: Redacted.make(other.mnemonic) }, { usePassword: false, overwrite: true })))
    expect(JSON.parse(await readFile(path, "utf8")).ss58Address).toBe(other.ss58_address_format42)
    expect(JSON.parse(await readFile(join(root, "regen", "coldkeypub.txt"), "utf8")).ss58Address).toBe(other.ss58_address_format42)
    expect(await mode(path)).toBe(0o600)
    expect((await readdir(join(root, "regen"))).sort()).toEqual(["coldkey", "coldkeypub.txt"])
  })

  test("new_hotkey: a fresh mnemonic of n words, a plaintext hotkey the Wallet loads", async () => {
    const made = success(await run(newHotkey(cfg("fresh", "h24"), 24)))
    const words = Redacted.value(made.mnemonic!).split(" ")
    expect(words.length).toBe(24)
    const path = join(root, "fresh", "hotkeys", "h24")
    expect(JSON.parse(await readFile(path, "utf8")).secretPhrase).toBe(words.join(" "))
    expect(await mode(path)).toBe(0o600)
    expect(success(await run(withWallet(cfg("fresh", "h24"), (w) => w.hotkey))).ss58Address).toBe(made.keypair.ss58Address)
    const again = success(await run(newHotkey(cfg("fresh", "h12"), 12)))
    expect(Redacted.value(again.mnemonic!).split(" ").length).toBe(12)
    expect(again.keypair.ss58Address).not.toBe(made.keypair.ss58Address)
    expect(`${String(again.mnemonic)} ${JSON.stringify(again)}`).not.toContain(Redacted.value(again.mnemonic!))
  })

  test("new_coldkey without password writes both files; regen_hotkey from a seed writes secretPhrase null", async () => {
    const made = success(await run(newColdkey(cfg("fresh2"), 12, { usePassword: false })))
    expect(JSON.parse(await readFile(join(root, "fresh2", "coldkeypub.txt"), "utf8")).ss58Address).toBe(made.keypair.ss58Address)
    const hot = success(await run(regenHotkey(cfg("fresh2"), { _tag: "Seed", seed: Redacted.make(key1.mini_secret_seed_hex.slice(2)) })))
    expect(hot.keypair.ss58Address).toBe(key1.ss58_address_format42)
    const json = JSON.parse(await readFile(join(root, "fresh2", "hotkeys", "default"), "utf8"))
    expect([json.secretPhrase, json.secretSeed]).toEqual([null, key1.mini_secret_seed_hex])
  })

  test("bad mnemonic, bad seed and bad address are InvalidKeyInput without echoing the input", async () => {
    const m = failure(await run(regenHotkey(cfg("bad"), { _tag: "Mnemonic", mnemonic: Redacted.make("legal winner thank year wave sausage worth useful legal winner thank thank") })))
    expect(m._tag).toBe("InvalidKeyInput")
    expect(m.message.includes("sausage")).toBe(false)
    const s = failure(await run(regenHotkey(cfg("bad"), { _tag: "Seed", seed: Redacted.make("0xabcdef") })))
    expect(s._tag === "InvalidKeyInput" && !s.message.includes("abcdef")).toBe(true)
    expect(failure(await run(regenColdkeypub(cfg("bad"), "5notanaddress")))._tag).toBe("InvalidKeyInput")
    expect(await readdir(root)).not.toContain("bad")
  })

  test("regen_coldkeypub from an SS58 address or a public key", async () => {
    success(await run(regenColdkeypub(cfg("pub1"), key1.ss58_address_format42)))
    success(await run(regenColdkeypub(cfg("pub2"), key1.public_key_hex)))
    for (const name of ["pub1", "pub2"]) {
      expect(await readFile(join(root, name, "coldkeypub.txt"), "utf8")).toBe(nacl.coldkeypub_txt_utf8)
    }
    expect(failure(await run(regenColdkeypub(cfg("pub1"), key1.public_key_hex)))._tag).toBe("KeyfileExists")
  })

  test("list: every wallet with its coldkey address and hotkeys; encrypted hotkeys are not opened", async () => {
    await writeFile(join(root, "fresh", "hotkeys", "locked"), new Uint8Array([...enc("$NACL"), ...new Uint8Array(60)]), { mode: 0o600 })
    await chmod(join(root, "fresh", "hotkeys", "locked"), 0o600)
    const wallets = success(await run(listWallets(root)))
    const byName = Object.fromEntries(wallets.map((w) => [w.name, w]))
    expect(byName.regen?.coldkeypub).toBe(v.keys.find((k: any) => k !== key1).ss58_address_format42)
    expect(byName.fresh?.coldkeypub).toBeUndefined()
    expect(byName.fresh?.hotkeys.map((h) => [h.name, h.encrypted, h.ss58Address === undefined])).toEqual([
      ["h12", false, false],
      ["h24", false, false],
      ["locked", true, true]
    ])
    expect(success(await run(listWallets(join(root, "missing"))))).toEqual([])
  })
})

describe("layerDev", () => {
  test("//Alice coldkey and //Alice//hot hotkey, no files", async () => {
    const [cold, hot, pub, name] = success(
      await run(Effect.flatMap(Wallet, (w) => Effect.all([w.coldkey, w.hotkey, w.coldkeypub, Effect.succeed(w.name)])).pipe(Effect.provide(layerDev("//Alice"))))
    )
    expect(cold.ss58Address).toBe("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")
    expect(hot.ss58Address).toBe(keypairFromUri("//Alice//hot").ss58Address)
    expect(pub.secretKey).toBeUndefined()
    expect(name).toBe("alice")
    const miner = success(await run(Effect.flatMap(Wallet, (w) => w.hotkey).pipe(Effect.provide(Layer.fresh(layerDev("//Bob", { hotkey: "miner1" }))))))
    expect(miner.ss58Address).toBe(keypairFromUri("//Bob//miner1").ss58Address)
  })
})
