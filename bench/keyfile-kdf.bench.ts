/**
 * Key derivation cost of Bittensor keyfiles: NaCl's Argon2i (opslimit 8, 512 MiB) through
 * libsodium-wrappers-sumo WASM (what the wallet uses) and, for comparison, Bun's native
 * node:crypto argon2; and the legacy Fernet PBKDF2-HMAC-SHA256 with 10M iterations. Prints, never asserts.
 */
import * as nodeCrypto from "node:crypto"
import { Effect, Redacted } from "effect"
import { fernetKey, naclKey } from "../src/adapters/wallet/keyfile-crypto.ts"
import { NACL_ARGON2I, NACL_SALT_HEX } from "../src/domain/wallet/keyfile.ts"

const RUNS = Number(process.env.BENCH_RUNS ?? 2)
const password = Redacted.make("correct horse battery staple")

const time = async (label: string, f: () => Promise<unknown>) => {
  const ms: Array<number> = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    await f()
    ms.push(performance.now() - t0)
  }
  console.log(`${label}: ${ms.map((m) => m.toFixed(0)).join(", ")} ms (rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`)
}

await time("argon2i libsodium WASM (wallet)", () => Effect.runPromise(naclKey(password)))

type Argon2 = (algorithm: string, params: Record<string, unknown>, cb: (err: Error | null, key: Buffer) => void) => void
const nativeArgon2 = (nodeCrypto as unknown as { argon2?: Argon2 }).argon2
if (nativeArgon2) {
  await time("argon2i node:crypto native (thread pool)", () =>
    new Promise((resolve, reject) =>
      nativeArgon2(
        "argon2i",
        {
          message: Redacted.value(password),
          nonce: Buffer.from(NACL_SALT_HEX, "hex"),
          parallelism: 1,
          tagLength: NACL_ARGON2I.keyLength,
          memory: NACL_ARGON2I.memlimitBytes / 1024,
          passes: NACL_ARGON2I.opslimit
        },
        (err, key) => (err ? reject(err) : resolve(key))
      )
    )
  )
} else {
  console.log("argon2i node:crypto native: not available in this runtime")
}

await time("fernet PBKDF2-HMAC-SHA256 10M (node:crypto)", () => Effect.runPromise(fernetKey(Redacted.make("legacy-password"))))
