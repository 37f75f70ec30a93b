/**
 * The Axon port: serve synapse handlers over HTTP the way a Bittensor SDK axon does (verification,
 * blacklist, priority), so Python and TypeScript dendrites can call them.
 */
import { Context, Data, type Effect, type Option, type Scope } from "effect"
import type { AnySynapseDefinition, SynapseDefinition, TerminalInfo } from "../domain/wire/synapse.ts"

/** What the axon knows about a call before (blacklist) and after (priority, forward) verification. */
export interface AxonRequestContext {
  /** The synapse name (route). */
  readonly synapse: string
  /**
   * The caller's terminal exactly as its headers claim it (hotkey, nonce, uuid, version, signature, ip).
   * In `blacklist` the hotkey is NOT yet verified; `priority` and `forward` only run for verified calls.
   */
  readonly dendrite: TerminalInfo
  /** What the caller put in `bt_header_axon_*` (our ip, port and hotkey as it sees them). */
  readonly axon: TerminalInfo
  /** The TCP peer's address (the SDK overwrites `dendrite.ip` with it on its header synapse). */
  readonly peerIp: string | null
  /** Seconds the caller waits (its `timeout` header, capped by the axon's `maxTimeout`). */
  readonly timeout: number
  /** The `computed_body_hash` header (already checked against the body in `priority` and `forward`). */
  readonly computedBodyHash: string
}

/** A neuron's handlers for one synapse. Handlers capture their services; they need no context. */
export interface SynapseHandlers<A> {
  /**
   * Answers a verified request with the reply body (the dendrite only keeps its mutable fields). A
   * `Refusal` (domain/refusal.ts) is answered with its status and message; any other failure is a 500.
   */
  readonly forward: (context: AxonRequestContext, body: A) => Effect.Effect<A, unknown>
  /** Some(reason) refuses the call with 403 before verification. Default: nobody is refused. */
  readonly blacklist?: (context: AxonRequestContext) => Effect.Effect<Option.Option<string>>
  /** Higher runs first when workers are busy. Default 0. */
  readonly priority?: (context: AxonRequestContext, body: A) => number
}

/** One synapse route with its handlers (types erased so routes of different synapses fit one list). */
export interface AxonRoute {
  readonly definition: AnySynapseDefinition
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly handlers: SynapseHandlers<any>
}

/** Pairs a synapse definition with its handlers. */
export const axonRoute = <A, I>(definition: SynapseDefinition<A, I>, handlers: SynapseHandlers<A>): AxonRoute => ({
  definition,
  handlers
})

/** An ip and port. */
export interface SocketAddress {
  readonly ip: string
  readonly port: number
}

/** A running axon. */
export interface ServingAxon {
  /** Where the server listens (port 0 in the config becomes the real port). */
  readonly bound: SocketAddress
  /** What goes on chain (`serve_axon`): the configured external address, else the bound one. */
  readonly external: SocketAddress
  /** The hotkey requests must be signed for. */
  readonly hotkey: string
  /** Requests waiting for a worker. */
  readonly queued: Effect.Effect<number>
  /** Requests being handled. */
  readonly active: Effect.Effect<number>
}

/** The server could not start (port taken, bad address). */
export class AxonServeError extends Data.TaggedError("AxonServeError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** What the `Axon` service offers. */
export interface AxonShape {
  readonly serve: (routes: ReadonlyArray<AxonRoute>) => Effect.Effect<ServingAxon, AxonServeError, Scope.Scope>
}

/** Serves routes until the scope closes. */
export class Axon extends Context.Tag("dojo/Axon")<Axon, AxonShape>() {}
