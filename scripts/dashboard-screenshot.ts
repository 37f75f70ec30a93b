/**
 * Regenerates `docs/dashboard.png` (the README's picture of the validator dashboard): a demo-sized
 * subnet (2 validators, 14 miners of different quality, a day of requests) on the in-memory chain and an
 * in-memory store, served over loopback and photographed in headless Chromium at 1280×800.
 * Run: `bun scripts/dashboard-screenshot.ts [out.png] [view]` (view: overview, metagraph, miners, requests).
 */
import { statSync } from "node:fs"
import { resolve } from "node:path"
import { launchChromium } from "../test/support/chromium.ts"
import { startDashboardWorld } from "../test/support/dashboard-server.ts"

const out = resolve(process.argv[2] ?? "docs/dashboard.png")
const view = process.argv[3] ?? "overview"

const world = await startDashboardWorld({
  neurons: 16,
  validators: 2,
  store: { requests: 1440, scoredFraction: 0.66, responsesPerRequest: 8, snapshots: 48, now: Date.now() / 1000, seed: 2024, spacing: 60 }
})
const browser = await launchChromium()
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(`${world.url}/dashboard#${view}`)
  await page.waitForSelector("body[data-ready='1']", { timeout: 30_000 })
  await page.waitForTimeout(300)
  await page.screenshot({ path: out })
  console.log(`wrote ${out} (${(statSync(out).size / 1024).toFixed(0)} KiB)`)
} finally {
  await browser.close()
  await world.close()
}
