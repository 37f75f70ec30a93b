/**
 * The Dendrite port: call synapses on other neurons' axons the way the Bittensor SDK's dendrite does
 * (signed, with a per-call timeout), and get every outcome back as data: a call never fails.
 */
import { Context, type Effect, type Option } from "effect"
import type { SynapseDefinition, TerminalInfo } from "../domain/wire/synapse.ts"

/** An axon to call: where it listens and the hotkey it signs for. */
export interface DendriteTarget {
  readonly ip: string
  readonly port: number
  readonly hotkey: string
}

/** Per-call options. */
export interface DendriteCallOptions {
  /** Seconds to wait (also sent as the synapse's `timeout`); default: the synapse's `defaultTimeout`. */
  readonly timeout?: number | undefined
}

/** One call's outcome, in the SDK's terms (`dendrite.status_code`, `status_message`, `process_time`). */
export interface DendriteResponse<A> {
  readonly target: DendriteTarget
  /**
   * 200 on success; otherwise the axon's HTTP status (401, 403, 408, 500, 503, …) or the SDK dendrite's
   * local codes: 503 unreachable, 408 timed out, 422 undecodable reply, 400 request body we could not encode.
   */
  readonly statusCode: number
  readonly statusMessage: string
  /** Seconds from sending to the end of the reply, measured here. */
  readonly processTime: number
  /**
   * On 200, the reply merged as the SDK does: mutable fields from the reply, immutable ones as we sent
   * them. None otherwise.
   */
  readonly body: Option.Option<A>
  /** The axon's terminal from the reply headers (status, process_time, hotkey…); all None if no reply. */
  readonly axon: TerminalInfo
}

/** True when the call succeeded (the SDK's `is_success`). */
export const isSuccess = <A>(response: DendriteResponse<A>): boolean => response.statusCode === 200

/** What the `Dendrite` service offers. */
export interface DendriteShape {
  /** Our hotkey's SS58 address. */
  readonly hotkey: string
  /** Our session uuid (one per instance, as the SDK's dendrite). */
  readonly uuid: string
  /** One call. Never fails: failures are in the response's status. */
  readonly call: <A, I>(
    target: DendriteTarget,
    definition: SynapseDefinition<A, I>,
    body: A,
    options?: DendriteCallOptions
  ) => Effect.Effect<DendriteResponse<A>>
  /**
   * The same body to many axons at once; one response per target, in target order. Never fails.
   * Every request is signed before any is sent, so the axons receive it within a few ms of each other;
   * `concurrency` (default: all) sends in waves of that size instead.
   */
  readonly callMany: <A, I>(
    targets: Iterable<DendriteTarget>,
    definition: SynapseDefinition<A, I>,
    body: A,
    options?: DendriteCallOptions & { readonly concurrency?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<DendriteResponse<A>>>
}

/** Calls synapses on axons, signed with our hotkey. */
export class Dendrite extends Context.Tag("dojo/Dendrite")<Dendrite, DendriteShape>() {}
