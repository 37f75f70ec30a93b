/**
 * The validator's HTTP server on `--api.ip`/`--api.port` (default 0.0.0.0:1888): one Bun server for
 * everything a validator answers over plain HTTP (its axon, for synapses, is a separate server).
 *
 * | path | what |
 * | --- | --- |
 * | `/api/v1/*` | the scoring API (`score-api.ts`, handlers in `score-api-handlers.ts`), OpenAPI document at `/api/v1/openapi.json` |
 * | `/metrics` | Prometheus text format; the store gauges are refreshed on each scrape |
 * | `/healthz` | `200 {"status":"ok"}` while the server runs |
 * | anything else | the extra routers, in the order given (e.g. the dashboard) |
 *
 * Composition point: a program adds its own pages by passing `HttpRouter`s, which are concatenated at the
 * root, next to the routes above:
 *
 * ```ts
 * const dashboard = HttpRouter.empty.pipe(HttpRouter.get("/", page), HttpRouter.get("/dashboard/data", data))
 * yield* serveValidatorHttp({ ip: "0.0.0.0", port: 1888 }, [dashboard])   // in a scope; stops when it closes
 * // or as a layer: validatorHttpLayer(config, [dashboard])
 * ```
 *
 * The routers' handlers may need services (the store, the chain, …): those become requirements of the
 * server effect. A router that claims a reserved path (`/api/v1…`, `/metrics`, `/healthz`) is refused with
 * `ValidatorHttpError` before anything listens, rather than failing inside the router at the first request.
 *
 * Needs the services of the scoring pipeline (`RequestLedger`, `ScoreLedger`, `Chain`, `Dendrite`, `Wallet`,
 * `ValidatorSettings`). Connections may stay silent for the query timeout plus 15 s (Bun's default of 10 s
 * would cut a score request while the miners think).
 */
import { HttpRouter, HttpServer, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { BunHttpServer } from "@effect/platform-bun"
import { Chunk, Clock, Data, Effect, Exit, Layer } from "effect"
import { recordApiRequest, recordStoreStats, registerValidatorMetrics } from "../../pipeline/validator/metrics.ts"
import { ValidatorSettings } from "../../pipeline/validator/settings.ts"
import { DashboardReadModel } from "../../services/dashboard-read-model.ts"
import { metricsResponse } from "./metrics.ts"
import { OPENAPI_PATH } from "./score-api.ts"
import { makeScoreApiApp } from "./score-api-handlers.ts"

/** Where the server listens. */
export interface ValidatorHttpConfig {
  /** Address to bind (`--api.ip`). */
  readonly ip: string
  /** Port to bind (`--api.port`); 0 picks a free one. */
  readonly port: number
  /**
   * Seconds a connection may stay silent before Bun closes it (Bun's default is 10). A score request is
   * silent while the miners think, so by default this is the query timeout plus a margin.
   */
  readonly idleTimeoutSeconds?: number
}

/** Bun's largest accepted idle timeout. */
const MAX_IDLE_TIMEOUT = 255

/** The idle timeout that lets a score request wait out `queryTimeoutSeconds`: that plus 15 s, capped at Bun's 255. */
export const idleTimeoutFor = (queryTimeoutSeconds: number): number =>
  Math.min(MAX_IDLE_TIMEOUT, Math.max(10, Math.ceil(queryTimeoutSeconds) + 15))

/** The defaults of `--api.ip` and `--api.port`. */
export const defaultValidatorHttpConfig: ValidatorHttpConfig = { ip: "0.0.0.0", port: 1888 }

/** A running server. */
export interface ServingValidatorHttp {
  readonly ip: string
  /** The bound port (the real one when 0 was asked). */
  readonly port: number
  /** Base URL for clients on this host, e.g. `http://127.0.0.1:1888`. */
  readonly url: string
}

/** The server could not start: the address is taken or invalid, or an extra router claims a reserved path. */
export class ValidatorHttpError extends Data.TaggedError("ValidatorHttpError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** Paths the server keeps for itself. */
export const RESERVED_PATHS: ReadonlyArray<string> = ["/api/v1", "/metrics", "/healthz"]

const isReserved = (path: string): boolean =>
  RESERVED_PATHS.some((reserved) => path === reserved || path.startsWith(`${reserved}/`))

/** The reserved paths an extra router claims, if any. */
const reservedClaims = <E, R>(router: HttpRouter.HttpRouter<E, R>): ReadonlyArray<string> => [
  ...Chunk.toReadonlyArray(router.routes)
    .map((route) => route.path)
    .filter(isReserved),
  ...Chunk.toReadonlyArray(router.mounts)
    .map(([prefix]) => prefix)
    .filter(isReserved)
]

/** The metric label of a scoring-API route: method and path template. */
export const apiRouteLabel = (method: string, url: string): string => {
  const path = url.split("?")[0] ?? ""
  if (path === "/api/v1/score") return `${method} /api/v1/score`
  if (/^\/api\/v1\/score\/[^/]+$/.test(path)) return `${method} /api/v1/score/{id}`
  if (path === OPENAPI_PATH) return `${method} ${OPENAPI_PATH}`
  return "other"
}

/** Counts each scoring-API request by route and status, and times it. */
const withApiMetrics = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const start = yield* Clock.currentTimeMillis
    const exit = yield* Effect.exit(app)
    const status = Exit.isSuccess(exit) ? exit.value.status : (yield* HttpServerError.causeResponse(exit.cause))[0].status
    const seconds = ((yield* Clock.currentTimeMillis) - start) / 1000
    yield* recordApiRequest(apiRouteLabel(request.method, request.url), status, seconds)
    return yield* exit
  })

/** `/metrics`: refreshes the store gauges (a failing store only leaves them stale), then renders everything. */
const metricsRoute = Effect.gen(function* () {
  const store = yield* DashboardReadModel
  yield* store.stats.pipe(
    Effect.flatMap(recordStoreStats),
    Effect.catchAll((e) => Effect.logWarning("store stats unavailable for /metrics").pipe(Effect.annotateLogs({ error: e.message })))
  )
  return yield* metricsResponse
})

const healthz = HttpServerResponse.json({ status: "ok" })

/** The methods of the server's own paths, for a 405 that names them. */
const OWN_METHODS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/api\/v1\/score$/, "POST"],
  [/^\/api\/v1\/score\/[^/]+$/, "GET"],
  [/^\/api\/v1\/openapi\.json$/, "GET"],
  [/^\/metrics$/, "GET"],
  [/^\/healthz$/, "GET"]
]

/**
 * A request nothing serves: 405 with `Allow` for one of our paths asked with another method, else 404;
 * the scoring API's error shape under `/api/v1`, the dashboard's elsewhere. Never an empty body.
 */
const notFound = () =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const path = request.url.split("?")[0] ?? ""
    const api = path.startsWith("/api/v1")
    const allowed = OWN_METHODS.find(([pattern]) => pattern.test(path))?.[1]
    const shown = `${request.method} ${path.slice(0, 200)}`
    const [status, message] = allowed === undefined ? [404, `no such path: ${shown}`] : [405, `method not allowed: ${shown} (allowed: ${allowed})`]
    return HttpServerResponse.unsafeJson(api ? { _tag: status === 404 ? "NotFound" : "MethodNotAllowed", message } : { error: message }, {
      status,
      headers: allowed === undefined ? {} : { allow: allowed }
    })
  })

/**
 * Serves the scoring API, `/metrics`, `/healthz` and `routers` until the scope closes (closing it stops
 * the server: in-flight requests are cut, nothing half-stored, since every store change is one transaction).
 */
export const serveValidatorHttp = <E = never, R = never>(
  config: ValidatorHttpConfig,
  routers: ReadonlyArray<HttpRouter.HttpRouter<E, R>> = []
) =>
  Effect.gen(function* () {
    const claimed = routers.flatMap(reservedClaims)
    if (claimed.length > 0)
      return yield* new ValidatorHttpError({
        message: `extra routes claim reserved paths (${claimed.join(", ")}); ${RESERVED_PATHS.join(", ")} belong to the validator server`
      })
    yield* registerValidatorMetrics
    const api = yield* makeScoreApiApp
    const own = HttpRouter.empty.pipe(
      HttpRouter.mountApp("/api/v1", withApiMetrics(api), { includePrefix: true }),
      HttpRouter.get("/metrics", metricsRoute),
      HttpRouter.get("/healthz", healthz)
    )
    // An unknown path (or a path parameter longer than the router matches) is a 404 that says so, not an empty body.
    const app = HttpRouter.concatAll(own, ...routers).pipe(Effect.catchTag("RouteNotFound", notFound))

    const idleTimeout = config.idleTimeoutSeconds ?? idleTimeoutFor((yield* ValidatorSettings).queryTimeoutSeconds)
    const server = yield* BunHttpServer.make({ hostname: config.ip, port: config.port, idleTimeout }).pipe(
      Effect.catchAllDefect((cause) =>
        Effect.fail(new ValidatorHttpError({ message: `cannot listen on ${config.ip}:${config.port}: ${String(cause)}`, cause }))
      )
    )
    // The platform services (file system, ETags) that HttpApi's router expects of any Bun server.
    yield* HttpServer.serveEffect(app).pipe(Effect.provideService(HttpServer.HttpServer, server), Effect.provide(BunHttpServer.layerContext))
    const port = server.address._tag === "TcpAddress" ? server.address.port : config.port
    const host = config.ip === "0.0.0.0" ? "127.0.0.1" : config.ip.includes(":") ? `[${config.ip}]` : config.ip
    const serving: ServingValidatorHttp = { ip: config.ip, port, url: `http://${host}:${port}` }
    yield* Effect.logInfo(`validator HTTP serving /api/v1, /metrics, /healthz on ${config.ip}:${port}`).pipe(
      Effect.annotateLogs({ extra_routers: routers.length })
    )
    return serving
  })

/** `serveValidatorHttp` as a layer: the server runs as long as the layer. */
export const validatorHttpLayer = <E = never, R = never>(config: ValidatorHttpConfig, routers: ReadonlyArray<HttpRouter.HttpRouter<E, R>> = []) =>
  Layer.scopedDiscard(serveValidatorHttp(config, routers))
