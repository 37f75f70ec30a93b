import { describe, expect, test } from "bun:test"
import { u8aToHex } from "@polkadot/util"
import { keypairFromMnemonic, keypairFromUri, sign, signHex, verify, keypairFromAddress } from "../../../src/adapters/wallet/sr25519.ts"
import { readVector } from "../../support/shared.ts"

const vectors = readVector("keyfile-nacl.json")

describe("sr25519 keys", () => {
  for (const k of vectors.keys) {
    test(`mnemonic → ${k.ss58_address_format42}`, () => {
      const kp = keypairFromMnemonic(k.mnemonic)
      expect(u8aToHex(kp.publicKey)).toBe(k.public_key_hex)
      expect(kp.ss58Address).toBe(k.ss58_address_format42)
    })
  }

  test("dev URI //Alice is the well-known address", () => {
    expect(keypairFromUri("//Alice").ss58Address).toBe("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")
  })

  test("sign then verify; a changed message or signer fails", () => {
    const kp = keypairFromUri("//Bob")
    const sig = signHex(kp, "hello")
    expect(sig).toMatch(/^0x[0-9a-f]{128}$/)
    expect(verify("hello", sig, kp.ss58Address)).toBe(true)
    expect(verify("hellp", sig, kp.ss58Address)).toBe(false)
    expect(verify("hello", sig, keypairFromUri("//Alice").ss58Address)).toBe(false)
    expect(verify("hello", "0x1234", kp.ss58Address)).toBe(false)
  })

  test("a public-key-only key refuses to sign", () => {
    expect(() => sign(keypairFromAddress(keypairFromUri("//Bob").ss58Address), "x")).toThrow(/no secret/)
  })
})

describe("signature text", () => {
  test("only strict 0x + 128 hex digits verifies; altered text never does", () => {
    const kp = keypairFromUri("//Bob")
    const sig = signHex(kp, "msg")
    expect(verify("msg", sig.toUpperCase().replace("0X", "0x"), kp.ss58Address)).toBe(true)
    for (const bad of [sig.slice(2), `${sig}0`, sig.replace(/^0x(.)/, "0x#"), ` ${sig}`, sig.slice(0, -2)])
      expect(verify("msg", bad, kp.ss58Address)).toBe(false)
  })

  test("signatures made here verify with util-crypto's independent implementation", async () => {
    const { sr25519Verify } = await import("@polkadot/util-crypto")
    const kp = keypairFromUri("//Charlie")
    const sig = sign(kp, "cross-check")
    expect(sr25519Verify(new TextEncoder().encode("cross-check"), sig, kp.publicKey)).toBe(true)
  })
})
