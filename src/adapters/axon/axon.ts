/**
 * The live Axon: an `@effect/platform` HTTP server on Bun with one route per synapse
 * (`/RankingRequest`, …; unknown names 404), SDK-compatible verification and status codes, and a
 * priority queue in front of a bounded number of concurrently running handlers.
 */
import { HttpMiddleware, HttpServer, HttpServerRequest } from "@effect/platform"
import { BunHttpServer } from "@effect/platform-bun"
import { Clock, Effect, Layer } from "effect"
import { pythonStrRepr } from "../../domain/wire/python-str.ts"
import { terminal } from "../../domain/wire/synapse.ts"
import { uuid1 } from "../../domain/wire/uuid1.ts"
import { Axon, AxonServeError, type AxonRoute, type ServingAxon } from "../../services/axon.ts"
import { errorResponse, handleRequest, type AxonState } from "./request.ts"
import { NonceGuard } from "./nonce-guard.ts"
import { makePriorityGate } from "./priority-gate.ts"

/** How an axon listens and how much it takes on. */
export interface AxonConfig {
  /** SS58 address of our hotkey: requests must be signed for it. */
  readonly hotkey: string
  /** Address to bind (`--axon.ip`), e.g. "0.0.0.0". */
  readonly ip: string
  /** Port to bind (`--axon.port`); 0 picks a free one. */
  readonly port: number
  /** Address announced on chain (`--axon.external_ip`); defaults to the bound address. */
  readonly externalIp?: string | undefined
  /** Port announced on chain (`--axon.external_port`); defaults to the bound port. */
  readonly externalPort?: number | undefined
  /** Handlers running at once (`--axon.max_workers`). */
  readonly maxWorkers: number
  /** Requests allowed to wait for a worker; beyond it 503. */
  readonly maxQueue: number
  /** Largest request body accepted; beyond it 413. */
  readonly maxBodyBytes: number
  /** Cap (s) on the caller's timeout, for handlers and the nonce window. */
  readonly maxTimeout: number
}

/** The SDK's defaults where it has one (port 8091, 10 workers); 1 MiB bodies, 256 waiting, 5 min timeout cap. */
/** Least idle timeout of the axon's connections (Bun's `idleTimeout`): above aiohttp's 15 s keep-alive, see make. */
const MIN_IDLE_SECONDS = 20

export const defaultAxonConfig: Omit<AxonConfig, "hotkey"> = {
  ip: "0.0.0.0",
  port: 8091,
  maxWorkers: 10,
  maxQueue: 256,
  maxBodyBytes: 1024 * 1024,
  maxTimeout: 300
}

const notFound = (state: AxonState, names: ReadonlyArray<string>, name: string) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeNanos
    const message = `Synapse name ${pythonStrRepr(name)} not found. Available synapses [${names.map(pythonStrRepr).join(", ")}]`
    const envelope = { timeout: 12, dendrite: terminal({}), axon: terminal({ hotkey: state.hotkey }) }
    return errorResponse(name, 404, message, envelope, now, state.uuid, 0)
  })

/** Starts an axon serving `routes` until the scope closes. */
export const make = (config: AxonConfig, routes: ReadonlyArray<AxonRoute>) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeNanos
    const state: AxonState = {
      hotkey: config.hotkey,
      uuid: uuid1(now, crypto.getRandomValues(new Uint8Array(8))),
      maxBodyBytes: config.maxBodyBytes,
      maxTimeout: config.maxTimeout,
      nonces: new NonceGuard(config.maxTimeout),
      gate: makePriorityGate(config.maxWorkers, config.maxQueue)
    }
    const names = routes.map((r) => r.definition.name)
    const handlers = new Map(routes.map((route) => [route.definition.name, handleRequest(route, state)]))
    // Routes by the path's first segment, as the SDK's middleware does (any method, like its GET+POST
    // routes). A Map lookup instead of HttpRouter: the router cost ~40 % of throughput in the benchmark.
    // The platform runs apps uninterruptibly; handlers must be interruptible so timeouts and client
    // aborts can stop them (HttpRouter does the same for its routes).
    const app = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const path = request.url.split("?")[0] ?? ""
      const name = path.split("/")[1] ?? ""
      return Effect.interruptible(handlers.get(name) ?? notFound(state, names, name))
    })

    // aiohttp (the Python SDK's Dendrite) reuses a pooled connection up to 15 s old without noticing a
    // close that arrived while its event loop was busy: with Bun's default idle timeout of 10 s the first
    // query after a pause failed ("Can not write request body"). Plain Bun.serve also cuts a request whose
    // handler runs past it, so it covers the longest timeout we accept too (Bun's maximum is 255 s).
    const idleTimeout = Math.min(255, Math.max(MIN_IDLE_SECONDS, config.maxTimeout + 5))
    const server = yield* BunHttpServer.make({ hostname: config.ip, port: config.port, idleTimeout }).pipe(
      Effect.catchAllDefect((cause) =>
        Effect.fail(new AxonServeError({ message: `cannot listen on ${config.ip}:${config.port}: ${String(cause)}`, cause }))
      )
    )
    // No per-request tracing span: with no exporter it is pure cost (half the framework's overhead measured).
    yield* HttpServer.serveEffect(app).pipe(
      Effect.provideService(HttpServer.HttpServer, server),
      Effect.locally(HttpMiddleware.currentTracerDisabledWhen, () => true)
    )
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : config.port
    const serving: ServingAxon = {
      bound: { ip: config.ip, port },
      external: { ip: config.externalIp ?? config.ip, port: config.externalPort ?? port },
      hotkey: config.hotkey,
      queued: state.gate.waiting,
      active: state.gate.active
    }
    yield* Effect.logInfo(`axon serving ${names.join(", ")} on ${config.ip}:${port} for ${config.hotkey}`)
    return serving
  })

/** The Axon service over this adapter. */
export const layer = (config: AxonConfig): Layer.Layer<Axon> =>
  Layer.succeed(Axon, { serve: (routes) => make(config, routes) })
