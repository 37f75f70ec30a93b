import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Scope } from "effect"
import fc from "fast-check"
import * as DendriteLive from "../../../src/adapters/dendrite/dendrite.ts"
import * as MinerStoreSql from "../../../src/adapters/store/miner-store-sql.ts"
import * as Issuer from "../../../src/adapters/mturk/validator-credentials.ts"
import { type Metagraph, unservedAxon } from "../../../src/domain/chain/metagraph.ts"
import type { AWSCredentials, MTurkResponse } from "../../../src/domain/wire/protocol.ts"
import { MTurkResponseSynapse } from "../../../src/domain/wire/synapses.ts"
import {
  deliverReadyHits,
  deliveryBackoff,
  mturkResponseFor,
  startDeliveryLoop
} from "../../../src/pipeline/miner/human-feedback-delivery.ts"
import { staticMetagraphView } from "../../../src/pipeline/miner/metagraph-view.ts"
import { MinerSettings, type MinerSettingsShape } from "../../../src/pipeline/miner/settings.ts"
import { axonRoute } from "../../../src/services/axon.ts"
import { type HitRecord, MinerStore } from "../../../src/services/miner-store.ts"
import type { ValidatorCredentials } from "../../../src/services/validator-credentials.ts"
import { startAxon, until } from "../../adapters/axon/axon-fixture.ts"
import { minerHotkey, testSettings, validatorKey } from "./miner-fixture.ts"
import { testNeuron } from "../../support/fixtures.ts"
import { Netuid } from "../../../src/domain/chain/ids.ts"

setDefaultTimeout(30_000)

const credentials: AWSCredentials = {
  access_key_id: "ASIATEMPORARY",
  secret_access_key: Redacted.make("temporary-secret"),
  session_token: Redacted.make("temporary-token"),
  access_expiration: "2026-11-25T01:00:00.000Z",
  environment: "sandbox"
}

/** The validator's side: a plain axon route that records what arrives, failing while `refuse` > 0. */
const received: MTurkResponse[] = []
let refuse = 0
let validatorAxon: Awaited<ReturnType<typeof startAxon>>
beforeAll(async () => {
  validatorAxon = await startAxon({ hotkey: validatorKey.ss58Address, ip: "127.0.0.3" }, [
    axonRoute(MTurkResponseSynapse, {
      forward: (_, body) =>
        refuse > 0 ? Effect.sync(() => refuse--).pipe(Effect.zipRight(Effect.fail(new Error("not now")))) : Effect.sync(() => (received.push(body), body))
    })
  ])
})
afterAll(() => validatorAxon.stop())
beforeEach(() => {
  received.length = 0
  refuse = 0
})

const metagraphWith = (axon: { ip: string; port: number } | undefined): Metagraph => ({
  netuid: Netuid.make(1),
  block: 10,
  neurons: [
    testNeuron(0, {
      hotkey: validatorKey.ss58Address,
      coldkey: "c",
      stake: 5000,
      axon: axon === undefined ? unservedAxon : { ...unservedAxon, ...axon, ipType: 4, protocol: 4 }
    })
  ]
})

/** A miner's delivery side: store, settings, a dendrite signed by the miner's hotkey, an issuer. */
const minerSide = (options: { settings?: Partial<MinerSettingsShape>; issuer?: Layer.Layer<ValidatorCredentials> } = {}) =>
  ManagedRuntime.make(
    Layer.mergeAll(
      MinerStoreSql.layerTest,
      Layer.succeed(MinerSettings, testSettings(options.settings)),
      DendriteLive.layer({ hotkey: minerHotkey }),
      options.issuer ?? Issuer.layerStatic(credentials)
    )
  )

const CIDS = ["c1", "c2", "c3"]
const newHit = (hitId: string, stored: { ip: string; port: number }, expiresAt = 2_000_000_000) =>
  Effect.flatMap(MinerStore, (s) =>
    s.recordHit({
      hitId,
      requestId: `req-${hitId}`,
      validatorHotkey: validatorKey.ss58Address,
      validatorIp: stored.ip,
      validatorPort: stored.port,
      cids: CIDS,
      expectedAssignments: 3,
      createdAt: 1_000,
      expiresAt
    })
  )
const submit = (hitId: string, id: string, scores: Record<string, number>) =>
  Effect.flatMap(MinerStore, (s) => s.addAssignment({ assignmentId: id, hitId, workerId: `W${id}`, scores, submittedAt: 1_100 }))
const getHit = (hitId: string) => Effect.flatMap(MinerStore, (s) => s.getHit(hitId)).pipe(Effect.map(Option.getOrThrow))

describe("mturkResponseFor / deliveryBackoff (pure)", () => {
  test("each completion's score is the mean slider of its assignments scaled from [1, 10] to [0, 1]", () => {
    const slider = fc.integer({ min: 1, max: 10 })
    fc.assert(
      fc.property(fc.array(fc.tuple(slider, slider, slider), { minLength: 1, maxLength: 6 }), (rows) => {
        const hit = {
          hitId: "H",
          requestId: "r",
          cids: CIDS,
          assignments: rows.map(([a, b, c], i) => ({ assignmentId: `A${i}`, hitId: "H", workerId: "W", scores: { c1: a, c2: b, c3: c }, submittedAt: 0 }))
        } as unknown as HitRecord
        const response = mturkResponseFor(hit, null)
        CIDS.forEach((cid, k) => {
          const mean = rows.reduce((s, r) => s + r[k]!, 0) / rows.length
          expect(response.completion_id_to_score[cid]).toBeCloseTo((mean - 1) / 9, 12)
        })
        expect(response.request_id).toBe("r")
      })
    )
  })

  test("backoff doubles per failure and never exceeds the cap", () => {
    fc.assert(
      fc.property(fc.nat({ max: 100 }), fc.double({ min: 0.1, max: 100, noNaN: true }), fc.double({ min: 1, max: 1e5, noNaN: true }), (n, base, cap) => {
        const d = deliveryBackoff(n, base, cap)
        expect(d).toBeLessThanOrEqual(cap)
        expect(deliveryBackoff(n + 1, base, cap)).toBeGreaterThanOrEqual(d)
        if (base * 2 ** (n + 1) <= cap) expect(deliveryBackoff(n + 1, base, cap)).toBeCloseTo(2 * d, 9)
      })
    )
  })
})

describe("delivering human feedback to the validator that asked (real HTTP)", () => {
  const here = () => ({ ip: "127.0.0.3", port: validatorAxon.axon.bound.port })

  test("a HIT with all its assignments: the aggregate and the credentials reach that validator, once", async () => {
    const rt = minerSide()
    try {
      await rt.runPromise(newHit("H1", here()))
      await rt.runPromise(submit("H1", "A1", { c1: 1, c2: 10, c3: 4 }))
      await rt.runPromise(submit("H1", "A2", { c1: 4, c2: 10, c3: 7 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual([])
      await rt.runPromise(submit("H1", "A3", { c1: 7, c2: 10, c3: 10 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual(["delivered"])
      expect(received).toHaveLength(1)
      const got = received[0]!
      expect(got.mturk_hit_id).toBe("H1")
      expect(got.request_id).toBe("req-H1")
      expect(got.completion_id_to_score).toEqual({ c1: 1 / 3, c2: 1, c3: 2 / 3 })
      expect(got.aws_credentials?.access_key_id).toBe("ASIATEMPORARY")
      expect(Redacted.value(got.aws_credentials!.session_token)).toBe("temporary-token")
      expect((await rt.runPromise(getHit("H1"))).delivery.status).toBe("delivered")
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual([])
      expect(received).toHaveLength(1)
    } finally {
      await rt.dispose()
    }
  })

  test("an expired HIT is delivered with the assignments it has", async () => {
    const rt = minerSide()
    try {
      await rt.runPromise(newHit("H2", here(), 1_500))
      await rt.runPromise(submit("H2", "B1", { c1: 10, c2: 1, c3: 5.5 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual(["delivered"])
      expect(received[0]!.completion_id_to_score).toEqual({ c1: 1, c2: 0, c3: 0.5 })
    } finally {
      await rt.dispose()
    }
  })

  test("a validator that moved is reached at its new axon; one that left is tried where it was", async () => {
    const rt = minerSide()
    try {
      await rt.runPromise(newHit("H3", { ip: "127.0.0.3", port: 1 }, 1_500))
      await rt.runPromise(submit("H3", "C1", { c1: 2, c2: 2, c3: 2 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual(["delivered"])
      await rt.runPromise(newHit("H4", here(), 1_500))
      await rt.runPromise(submit("H4", "D1", { c1: 2, c2: 2, c3: 2 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView({ netuid: Netuid.make(1), block: 1, neurons: [] })))).toEqual(["delivered"])
      expect(received.map((r) => r.mturk_hit_id)).toEqual(["H3", "H4"])
    } finally {
      await rt.dispose()
    }
  })

  test("a failed delivery is recorded and retried after its backoff by the loop until it lands", async () => {
    const rt = minerSide({ settings: { deliveryBackoffSeconds: 1 } })
    const scope = Effect.runSync(Scope.make())
    try {
      refuse = 1
      await rt.runPromise(newHit("H5", here(), 1_500))
      await rt.runPromise(submit("H5", "E1", { c1: 3, c2: 3, c3: 3 }))
      await rt.runPromise(Scope.extend(startDeliveryLoop(staticMetagraphView(metagraphWith(here()))), scope))
      await until(async () => (await rt.runPromise(getHit("H5"))).delivery.attempts === 1, "the first failure")
      const failed = (await rt.runPromise(getHit("H5"))).delivery
      expect(failed.status).toBe("pending")
      expect(failed.lastError).toContain("500")
      expect(received).toEqual([])
      await until(async () => (await rt.runPromise(getHit("H5"))).delivery.status === "delivered", "the retry")
      expect(received.map((r) => r.mturk_hit_id)).toEqual(["H5"])
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await rt.dispose()
    }
  })

  test("after the last allowed attempt the HIT is given up, and not retried", async () => {
    const rt = minerSide({ settings: { deliveryMaxAttempts: 1 } })
    try {
      await rt.runPromise(newHit("H6", { ip: "127.0.0.3", port: 1 }, 1_500))
      await rt.runPromise(submit("H6", "F1", { c1: 3, c2: 3, c3: 3 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView({ netuid: Netuid.make(1), block: 1, neurons: [] })))).toEqual(["failed"])
      expect((await rt.runPromise(getHit("H6"))).delivery.status).toBe("failed")
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual([])
      expect(received).toEqual([])
    } finally {
      await rt.dispose()
    }
  })

  test("without verification credentials the result still goes out, with aws_credentials null", async () => {
    const rt = minerSide({ issuer: Issuer.layerUnavailable })
    try {
      await rt.runPromise(newHit("H7", here(), 1_500))
      await rt.runPromise(submit("H7", "G1", { c1: 3, c2: 3, c3: 3 }))
      expect(await rt.runPromise(deliverReadyHits(staticMetagraphView(metagraphWith(here()))))).toEqual(["delivered"])
      expect(received[0]!.aws_credentials).toBeNull()
    } finally {
      await rt.dispose()
    }
  })
})
