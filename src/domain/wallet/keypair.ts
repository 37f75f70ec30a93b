import type { Redacted } from "effect"

/** An sr25519 key as the rest of the system sees it: its address, its public key and, when held, its secret. */
export interface Keypair {
  /** SS58 address, format 42 (Bittensor). */
  readonly ss58Address: string
  /** 32-byte sr25519 public key. */
  readonly publicKey: Uint8Array
  /**
   * 64-byte secret in the polkadot.js layout (ed25519-expanded scalar ‖ nonce), wrapped so it never
   * prints. Absent for a public-key-only key such as `coldkeypub.txt`.
   */
  readonly secretKey: Redacted.Redacted<Uint8Array> | undefined
}
