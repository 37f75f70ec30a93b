import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { hexToU8a, u8aToHex } from "@polkadot/util"
import { Either, Redacted } from "effect"
import {
  btwalletPasswordEnvVar,
  btwalletPaths,
  checkKeyName,
  coldPasswordEnvVar,
  decodeEnvPassword,
  decodeKeyfileContent,
  detectKeyfileFormat,
  encodeEnvPassword,
  keyfileContentOf,
  privateKeyToSecretKey,
  publicContentOf,
  pythonJsonString,
  secretKeyToPrivateKey,
  serializeKeyfileContent,
  walletPaths
} from "../../../src/domain/wallet/keyfile.ts"
import { keypairFromMnemonic } from "../../../src/adapters/wallet/sr25519.ts"
import { readVector } from "../../support/shared.ts"

const v = readVector("keyfile-nacl.json")
const nacl = v.nacl_keyfiles[0]
const enc = (s: string) => new TextEncoder().encode(s)
const right = <A>(e: Either.Either<A, string>): A => {
  if (Either.isLeft(e)) throw new Error(`expected Right, got Left: ${e.left}`)
  return e.right
}

describe("keyfile JSON, written the Python 7.x way", () => {
  const key = v.keys.find((k: any) => k.mnemonic === nacl.decrypted_utf8.match(/"secretPhrase": "([^"]+)"/)[1])
  const kp = keypairFromMnemonic(key.mnemonic)
  const origin = { secretPhrase: Redacted.make(key.mnemonic), secretSeed: Redacted.make(hexToU8a(key.mini_secret_seed_hex)) }

  test("full keyfile is byte-identical to the SDK's plaintext", () => {
    const text = serializeKeyfileContent(right(keyfileContentOf(kp, origin)))
    expect(text).toBe(nacl.decrypted_utf8)
    expect(text).toBe(nacl.unencrypted_hotkey_file_utf8)
  })

  test("coldkeypub.txt is byte-identical (secrets null)", () => {
    expect(serializeKeyfileContent(publicContentOf(kp))).toBe(nacl.coldkeypub_txt_utf8)
  })

  test("a seed-only keyfile writes secretPhrase null", () => {
    const text = serializeKeyfileContent(right(keyfileContentOf(kp, { secretSeed: origin.secretSeed })))
    expect(JSON.parse(text)).toEqual({ ...JSON.parse(nacl.decrypted_utf8), secretPhrase: null })
    expect(text).toContain('"secretPhrase": null, ')
  })

  test("decoding the vector gives back every field", () => {
    const c = right(decodeKeyfileContent(enc(nacl.decrypted_utf8)))
    expect(u8aToHex(c.publicKey)).toBe(key.public_key_hex)
    expect(c.ss58Address).toBe(key.ss58_address_format42)
    expect(u8aToHex(Redacted.value(c.privateKey!))).toBe(key.keyfile_privateKey_hex_schnorrkel_to_bytes)
    expect(Redacted.value(c.secretPhrase!)).toBe(key.mnemonic)
    expect(u8aToHex(Redacted.value(c.secretSeed!))).toBe(key.mini_secret_seed_hex)
    expect(serializeKeyfileContent(c)).toBe(nacl.decrypted_utf8)
  })

  test("any key order, compact separators and missing keys (btwallet style) decode to the same content", () => {
    const full = JSON.parse(nacl.decrypted_utf8) as Record<string, any>
    const entries = Object.entries(full)
    fc.assert(
      fc.property(fc.shuffledSubarray(entries, { minLength: entries.length }), fc.subarray(["accountId", "privateKey", "secretPhrase"]), (shuffled, dropped) => {
        const compact = JSON.stringify(Object.fromEntries(shuffled.filter(([k]) => !dropped.includes(k))))
        const c = right(decodeKeyfileContent(enc(compact)))
        expect(u8aToHex(c.publicKey)).toBe(full.publicKey!)
        expect(c.secretSeed && u8aToHex(Redacted.value(c.secretSeed))).toBe(full.secretSeed!)
        expect(c.secretPhrase === undefined).toBe(dropped.includes("secretPhrase"))
      })
    )
  })

  test("a bare 0x public key (very old coldkeypub.txt) decodes as public only", () => {
    const c = right(decodeKeyfileContent(enc(`${key.public_key_hex}\n`)))
    expect(u8aToHex(c.publicKey)).toBe(key.public_key_hex)
    expect(c.secretSeed).toBeUndefined()
    expect(c.privateKey).toBeUndefined()
  })

  test("a bad field is named, its value (maybe a secret) never appears in the reason", () => {
    fc.assert(
      fc.property(fc.string().map((s) => `S3CR3T${s}`), (bad) => {
        const reason = Either.getLeft(decodeKeyfileContent(enc(JSON.stringify({ publicKey: key.public_key_hex, secretSeed: bad }))))
        expect(reason._tag).toBe("Some")
        const text = reason._tag === "Some" ? reason.value : ""
        expect(text).toContain("secretSeed")
        expect(text.includes(bad)).toBe(false)
      })
    )
  })

  test("accountId and publicKey that differ are refused", () => {
    const other = v.keys[0].public_key_hex
    expect(Either.isLeft(decodeKeyfileContent(enc(JSON.stringify({ accountId: other, publicKey: key.public_key_hex }))))).toBe(true)
  })
})

describe("pythonJsonString", () => {
  test("matches Python json.dumps on escapes, non-ASCII and astral characters", () => {
    // python3 -c 'import json; print(json.dumps("é😀\x7f\x01\n\"\\/<>"))'
    expect(pythonJsonString('é😀\x7f\x01\n"\\/<>')).toBe('"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\n\\"\\\\/<>"')
  })

  test("always printable ASCII and JSON.parse gives the string back", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const out = pythonJsonString(s)
        expect(/^[\x20-\x7e]*$/.test(out)).toBe(true)
        expect(JSON.parse(out)).toBe(s)
      })
    )
  })
})

describe("privateKey (schnorrkel to_bytes) ↔ polkadot.js secret key (to_ed25519_bytes)", () => {
  for (const k of v.keys) {
    test(`vector ${k.ss58_address_format42}`, () => {
      const schnorrkel = hexToU8a(k.keyfile_privateKey_hex_schnorrkel_to_bytes)
      const ed = hexToU8a(k.polkadotjs_style_secretKey_hex_ed25519_bytes)
      expect(u8aToHex(right(privateKeyToSecretKey(schnorrkel)))).toBe(k.polkadotjs_style_secretKey_hex_ed25519_bytes)
      expect(u8aToHex(right(secretKeyToPrivateKey(ed)))).toBe(k.keyfile_privateKey_hex_schnorrkel_to_bytes)
      expect(u8aToHex(Redacted.value(keypairFromMnemonic(k.mnemonic).secretKey!))).toBe(k.polkadotjs_style_secretKey_hex_ed25519_bytes)
    })
  }

  test("round trip for every scalar below 2^253", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
        bytes[31] = bytes[31]! & 0x1f
        const back = right(secretKeyToPrivateKey(right(privateKeyToSecretKey(bytes))))
        expect(u8aToHex(back)).toBe(u8aToHex(bytes))
      })
    )
  })

  test("refuses wrong lengths, oversize scalars and non-multiples of 8", () => {
    expect(Either.isLeft(privateKeyToSecretKey(new Uint8Array(63)))).toBe(true)
    const big = new Uint8Array(64)
    big[31] = 0x20
    expect(Either.isLeft(privateKeyToSecretKey(big))).toBe(true)
    const odd = new Uint8Array(64)
    odd[0] = 3
    expect(Either.isLeft(secretKeyToPrivateKey(odd))).toBe(true)
  })
})

describe("format detection", () => {
  test("the vector files and the legacy prefixes", () => {
    expect(detectKeyfileFormat(Buffer.from(nacl.file_bytes_base64, "base64"))).toBe("nacl")
    expect(detectKeyfileFormat(enc(v.legacy_fernet_keyfile.file_utf8))).toBe("fernet")
    expect(detectKeyfileFormat(enc("$ANSIBLE_VAULT;1.1;AES256\n6162636465"))).toBe("ansible-vault")
    expect(detectKeyfileFormat(enc(nacl.coldkeypub_txt_utf8))).toBe("json")
    expect(detectKeyfileFormat(enc(` ${v.keys[0].public_key_hex}\n`))).toBe("bare-pubkey")
    expect(detectKeyfileFormat(enc("0x1234"))).toBe("unknown")
    expect(detectKeyfileFormat(enc("[1,2]"))).toBe("unknown")
    expect(detectKeyfileFormat(new Uint8Array())).toBe("unknown")
  })

  test("total on arbitrary bytes; NaCl prefix always wins", () => {
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        expect(typeof detectKeyfileFormat(bytes)).toBe("string")
        expect(detectKeyfileFormat(new Uint8Array([...enc("$NACL"), ...bytes]))).toBe("nacl")
      })
    )
  })
})

describe("password environment variables", () => {
  test("SDK 7.x name (vector env_lookup_v7)", () => {
    expect(coldPasswordEnvVar(v.env_lookup_v7.coldkey_name)).toBe(v.env_lookup_v7.env_var)
  })

  test("btwallet ≥2.1 name and XOR-base64 value (vector env_lookup_btwallet_4)", () => {
    const b = v.env_lookup_btwallet_4
    expect(btwalletPasswordEnvVar(b.keyfile_path_as_given)).toBe(b.env_var)
    expect(encodeEnvPassword(Redacted.make(b.password), b.env_var)).toBe(b.env_value_base64)
    expect(Redacted.value(right(decodeEnvPassword(b.env_value_base64, b.env_var)))).toBe(b.password)
  })

  test("btwallet spells paths as given (PathBuf::join): relative stays relative, nothing normalised", () => {
    expect(btwalletPaths("wallets", "w", "h").coldkey).toBe("wallets/w/coldkey")
    expect(btwalletPaths("/a//b/./c/", "w-1.x", "h.k").hotkey).toBe("/a//b/./c/w-1.x/hotkeys/h.k")
    expect(btwalletPasswordEnvVar(btwalletPaths("rel.w", "py-w.1", "x").coldkey)).toBe("BT_PW_REL_W_PY-W_1_COLDKEY")
  })

  test("XOR encoding round-trips any password under any variable name", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ minLength: 1 }), (password, name) => {
        const value = encodeEnvPassword(Redacted.make(password), name)
        expect(Redacted.value(right(decodeEnvPassword(value, name)))).toBe(password)
      })
    )
  })

  test("a value that is not base64 is refused without echoing it", () => {
    const reason = Either.getLeft(decodeEnvPassword("not base64!secret", "BT_PW_X"))
    expect(reason._tag === "Some" && !reason.value.includes("secret")).toBe(true)
  })
})

describe("layout", () => {
  test("btcli paths", () => {
    expect(walletPaths("/w", "alice", "hk")).toEqual({
      dir: "/w/alice",
      coldkey: "/w/alice/coldkey",
      coldkeypub: "/w/alice/coldkeypub.txt",
      hotkeysDir: "/w/alice/hotkeys",
      hotkey: "/w/alice/hotkeys/hk"
    })
  })

  test("names are single path segments", () => {
    for (const bad of ["", "..", ".hidden", "a/b", "a\\b", "a\0b"]) expect(Either.isLeft(checkKeyName("wallet", bad))).toBe(true)
    for (const good of ["default", "my-wallet", "hot_1", "Ärger"]) expect(Either.isRight(checkKeyName("wallet", good))).toBe(true)
  })
})
