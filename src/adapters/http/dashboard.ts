/**
 * The validator dashboard as an `HttpRouter`, to mount on the validator's HTTP server (same port as its
 * API): `GET /` and `GET /dashboard` serve one self-contained page (inline CSS and JS built from
 * `dashboard-client/` by `dashboard-page.ts`, no external requests, enforced by its
 * Content-Security-Policy); the page polls the JSON endpoints under
 * `/dashboard/api/` and updates in place:
 *
 * - `overview`: chain head, neuron counts, store stats, last set_weights with weight shares.
 * - `metagraph`: every neuron with the validator's EMA score, weight share and sampled accuracy.
 * - `history?uids=1,2&top=6&points=120`: score / weight share / accuracy series, ≤ `points` points.
 * - `requests?offset=0&limit=25`: recent requests (capped) with their consensus and best completion.
 * - `requests/:id`: one request's completions, consensus and per-miner scores.
 *
 * Needs `DashboardData` (see `dashboard-data.ts`: `layer(settings)` over the validator's stores and `Chain`).
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option, type ParseResult, Schema } from "effect"
import { bodyErrorMessage } from "../../domain/wire/synapse.ts"
import { DashboardData, type DashboardError } from "./dashboard-data.ts"
import { dashboardPage, type DashboardPageError } from "./dashboard-page.ts"

const json = (body: unknown, status = 200) =>
  HttpServerResponse.unsafeJson(body, { status, headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } })

/** Store or chain trouble: 503 with a generic text (details go to the log, not to the public page). */
const unavailable = (e: DashboardError) =>
  Effect.as(
    Effect.logWarning("dashboard: data unavailable").pipe(Effect.annotateLogs({ error: e.message })),
    json({ error: e._tag === "StoreError" ? "store unavailable" : "chain unavailable" }, 503)
  )

/** 400 naming the first bad parameter in one line (`points: Expected …`), not the whole Schema tree. */
const badQuery = (e: ParseResult.ParseError) => Effect.succeed(json({ error: `bad query: ${bodyErrorMessage(e)}` }, 400))

// Digits only: Number() would also take " 1", "0x10" and "1e1".
const Digits = Schema.String.pipe(Schema.pattern(/^\d{1,7}$/, { message: () => "must be a whole number written in digits" }))

const int = (min: number, max: number, fallback: number) =>
  Schema.optionalWith(Schema.compose(Digits, Schema.NumberFromString).pipe(Schema.int(), Schema.between(min, max)), { default: () => fallback })

const UidList = Schema.String.pipe(
  Schema.pattern(/^(\d{1,5}(,\d{1,5}){0,15})?$/, { message: () => "uids: up to 16 comma-separated uids" })
)

const HistoryQuery = Schema.Struct({
  uids: Schema.optionalWith(UidList, { default: () => "" }),
  top: int(0, 16, 6),
  points: int(2, 500, 120)
})

const RequestsQuery = Schema.Struct({ offset: int(0, 1_000_000, 0), limit: int(1, 100, 25) })

/** A page that cannot be built is a broken install: 500 with a generic text, the reason in the log. */
const pageBroken = (e: DashboardPageError) =>
  Effect.as(
    Effect.logError("dashboard: page unavailable").pipe(Effect.annotateLogs({ error: e.message })),
    HttpServerResponse.text("dashboard unavailable", { status: 500 })
  )

const page = dashboardPage.pipe(
  Effect.map(({ html, csp }) =>
    HttpServerResponse.text(html, {
      contentType: "text/html; charset=utf-8",
      headers: {
        "content-security-policy": csp,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY"
      }
    })
  ),
  Effect.catchAll(pageBroken)
)

const withData = <A>(f: (data: typeof DashboardData.Service) => Effect.Effect<A, DashboardError>) =>
  Effect.flatMap(DashboardData, f)

/** The dashboard's routes (page and JSON API). */
export const dashboardRouter = HttpRouter.empty.pipe(
  HttpRouter.get("/", page),
  HttpRouter.get("/dashboard", page),
  HttpRouter.get(
    "/dashboard/api/overview",
    withData((d) => d.overview).pipe(Effect.map(json), Effect.catchAll(unavailable))
  ),
  HttpRouter.get(
    "/dashboard/api/metagraph",
    withData((d) => d.metagraph).pipe(Effect.map(json), Effect.catchAll(unavailable))
  ),
  HttpRouter.get(
    "/dashboard/api/history",
    HttpServerRequest.schemaSearchParams(HistoryQuery).pipe(
      Effect.flatMap((q) =>
        withData((d) => d.history({ uids: q.uids === "" ? [] : q.uids.split(",").map(Number), top: q.top, points: q.points })).pipe(
          Effect.map(json),
          Effect.catchAll(unavailable)
        )
      ),
      Effect.catchTag("ParseError", badQuery)
    )
  ),
  HttpRouter.get(
    "/dashboard/api/requests",
    HttpServerRequest.schemaSearchParams(RequestsQuery).pipe(
      Effect.flatMap((q) => withData((d) => d.requests(q.offset, q.limit)).pipe(Effect.map(json), Effect.catchAll(unavailable))),
      Effect.catchTag("ParseError", badQuery)
    )
  ),
  HttpRouter.get(
    "/dashboard/api/requests/:id",
    HttpRouter.schemaPathParams(Schema.Struct({ id: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)) })).pipe(
      Effect.flatMap(({ id }) =>
        withData((d) => d.request(id)).pipe(
          Effect.map(Option.match({ onNone: () => json({ error: "no such request" }, 404), onSome: json })),
          Effect.catchAll(unavailable)
        )
      ),
      Effect.catchTag("ParseError", badQuery)
    )
  )
)
