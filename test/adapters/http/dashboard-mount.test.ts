/**
 * The dashboard mounted where it runs: as an extra router of the validator's HTTP server (same port as
 * the scoring API, `/metrics` and `/healthz`), over a seeded store and the in-memory chain; the page
 * loads and goes live through it in headless Chromium (the pinned one, see test/support/chromium.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import * as RequestRandomnessLive from "../../../src/adapters/request-randomness.ts"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import { dashboardRouter } from "../../../src/adapters/http/dashboard.ts"
import * as DashboardDataLive from "../../../src/adapters/http/dashboard-data.ts"
import { defaultDashboardSettings, type OverviewView } from "../../../src/adapters/http/dashboard-data.ts"
import { serveValidatorHttp, type ServingValidatorHttp } from "../../../src/adapters/http/validator-server.ts"
import * as ValidatorStoreSql from "../../../src/adapters/store/validator-store.ts"
import { layerDev } from "../../../src/adapters/wallet/wallet-fs.ts"
import { defaultValidatorSettings, ValidatorSettings } from "../../../src/pipeline/validator/settings.ts"
import { allStores } from "../../support/validator-stores.ts"
import { launchChromium } from "../../support/chromium.ts"
import { seedStore, subnetSeed } from "../../support/dashboard-seed.ts"

const subnet = subnetSeed({ neurons: 12, validators: 2, seed: 3 })
const base = Layer.mergeAll(
  ChainMemory.layer(subnet.chainState),
  ValidatorStoreSql.layerTest,
  RequestRandomnessLive.layer,
  DendriteLive.layer({ hotkey: subnet.validator }),
  layerDev("//Alice"),
  Layer.succeed(ValidatorSettings, { ...defaultValidatorSettings, netuid: subnet.netuid })
)
const layer = Layer.provideMerge(
  DashboardDataLive.layer({ ...defaultDashboardSettings, netuid: subnet.netuid, validatorHotkey: subnet.validator.ss58Address }),
  base
)
const runtime = ManagedRuntime.make(layer)
const scope = Effect.runSync(Scope.make())
let server: ServingValidatorHttp

beforeAll(async () => {
  await runtime.runPromise(
    Effect.flatMap(allStores, (s) =>
      seedStore(s, subnet, { requests: 40, scoredFraction: 0.7, responsesPerRequest: 5, snapshots: 6, now: Date.now() / 1000, seed: 3 })
    )
  )
  server = await runtime.runPromise(serveValidatorHttp({ ip: "127.0.0.1", port: 0 }, [dashboardRouter]).pipe(Scope.extend(scope)))
}, 60_000)
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await runtime.dispose()
})

describe("dashboard on the validator HTTP server", () => {
  test("the page and the JSON API answer on the API's port, next to /healthz and the scoring API", async () => {
    for (const path of ["/", "/dashboard"]) {
      const page = await fetch(server.url + path)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-security-policy")).toContain("default-src 'none'")
      expect(await page.text()).toContain('id="view-metagraph"')
    }
    const overview = (await (await fetch(`${server.url}/dashboard/api/overview`)).json()) as OverviewView
    expect(overview.stats.requests).toBe(40)
    expect(overview.neurons?.total).toBe(12)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/api/v1/openapi.json`)).status).toBe(200)
    expect((await fetch(`${server.url}/api/v1/score`, { method: "POST" })).status).toBe(401)
    expect((await fetch(`${server.url}/dashboard/nothing-here`)).status).toBe(404)
  })

  test("the page goes live in headless Chromium through this server", async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      const errors: Array<string> = []
      page.on("pageerror", (e) => errors.push(e.message))
      await page.goto(`${server.url}/`)
      await page.waitForSelector("body[data-ready='1']", { timeout: 20_000 })
      expect(await page.textContent("[data-card='requests'] .value")).toBe("40")
      expect(await page.locator("#mg-body tr").count()).toBe(12)
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  }, 60_000)
})
