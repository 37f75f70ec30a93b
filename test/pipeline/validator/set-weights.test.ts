/**
 * `setWeights`'s refusals and skips, each against the in-memory chain with a store scored by the real
 * scoring pass: an unregistered hotkey and a version key below the subnet's are errors that set
 * nothing; a store with no score for any current neuron (none yet, or only for a hotkey that has since
 * left its uid) is skipped as "no scores yet" and sets nothing. A control sets weights from the same
 * scores, so each case fails if its branch goes (the step would set weights or fail differently).
 * Errors are matched by `_tag`, not by class, so a rename of the classes changes only these strings.
 */
import { afterAll, describe, expect, test } from "bun:test"
import { Effect, Either, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as ChainMemory from "../../../src/adapters/chain/memory.ts"
import type { ChainMemoryState } from "../../../src/adapters/chain/memory.ts"
import type { StoreConfig } from "../../../src/adapters/store/sql-client.ts"
import * as ValidatorStoreSql from "../../../src/adapters/store/validator-store.ts"
import { keypairFromUri } from "../../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../../src/adapters/wallet/wallet-fs.ts"
import type { Hyperparameters } from "../../../src/domain/chain/metagraph.ts"
import { rewardRule } from "../../../src/domain/scoring/reward-rule.ts"
import { scoreDueRequests } from "../../../src/pipeline/validator/score-due-requests.ts"
import { setWeights } from "../../../src/pipeline/validator/set-weights.ts"
import { ValidatorSettings } from "../../../src/pipeline/validator/settings.ts"
import { Chain } from "../../../src/services/chain.ts"
import { RequestLedger } from "../../../src/services/request-ledger.ts"
import { ScoreLedger } from "../../../src/services/score-ledger.ts"
import { testRankingRequest } from "../../support/fixtures.ts"
import { NETUID, VALIDATOR_WALLET, minerKeys, testValidatorSettings, validatorKey } from "../../support/validator-world.ts"
import { Uid } from "../../../src/domain/chain/ids.ts"

const dir = mkdtempSync(join(tmpdir(), "dojo-set-weights-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const miners = [minerKeys.good, minerKeys.half, minerKeys.bad]

/** uid 0 the validator (unless left out), then `hotkeys` from uid 1. */
const chainState = (options: { hotkeys?: ReadonlyArray<string>; withValidator?: boolean; hyper?: Partial<Omit<Hyperparameters, "netuid" | "subnetworkN">> }): ChainMemoryState => ({
  subnets: [
    {
      netuid: NETUID,
      hyperparameters: { tempo: 10, weightsRateLimit: 0, ...options.hyper },
      neurons: [
        ...(options.withValidator === false
          ? [{ hotkey: keypairFromUri("//Someone//hot").ss58Address, coldkey: keypairFromUri("//Someone").ss58Address }]
          : [{ hotkey: validatorKey.ss58Address, coldkey: keypairFromUri(VALIDATOR_WALLET).ss58Address, stake: 5000, validatorPermit: true }]),
        ...(options.hotkeys ?? miners.map((m) => m.ss58Address)).map((hotkey, i) => ({ hotkey, coldkey: keypairFromUri(`//Coldkey${i}`).ss58Address }))
      ]
    }
  ]
})

const world = (state: ChainMemoryState, options: { versionKey?: number; store?: StoreConfig } = {}) =>
  ManagedRuntime.make(
    Layer.mergeAll(
      ChainMemory.layer(state),
      options.store === undefined ? ValidatorStoreSql.layerTest : ValidatorStoreSql.layer(options.store),
      layerDev(VALIDATOR_WALLET),
      // The original rule pays miners with no evaluations yet (Laplace 0.5), so one request gives scores.
      Layer.succeed(ValidatorSettings, testValidatorSettings({ versionKey: options.versionKey ?? 1, rewardRule: rewardRule("original") })),
      Logger.minimumLogLevel(LogLevel.Warning)
    )
  )
type World = ReturnType<typeof world>

/** One request the three miners answered (good > half > bad agreement), through the real scoring pass. */
const scoreOneRequest = async (w: World) => {
  const now = Date.now() / 1000
  const request = testRankingRequest({ request_id: "r1" })
  const answer = (uid: number, a: number, b: number) => ({
    hotkey: miners[uid - 1]!.ss58Address,
    uid,
    scoringMethod: "hf_model" as const,
    modelConfig: null,
    ranks: [
      { cid: "a", score: a },
      { cid: "b", score: b }
    ],
    mturkHitId: null,
    humanVerified: false,
    source: "axon" as const,
    receivedAt: now
  })
  await w.runPromise(
    Effect.flatMap(RequestLedger, (s) =>
      s.saveRequest({ request, kind: "seed", createdAt: now, deadlineAt: now, responses: [answer(1, 0.9, 0.1), answer(2, 0.8, 0.3), answer(3, 0.2, 0.7)] })
    )
  )
  expect(await w.runPromise(scoreDueRequests())).toBe(1)
}

const weightsOnChain = (w: World) => w.runPromise(Effect.flatMap(Chain, (c) => c.weightsOf(NETUID, Uid.make(0))))
const attempt = (w: World) => w.runPromise(Effect.either(setWeights()))

describe("setWeights: refusals and skips", () => {
  test("control: scored miners get weights on chain", async () => {
    const w = world(chainState({}))
    try {
      await scoreOneRequest(w)
      const outcome = Either.getOrThrow(await attempt(w))
      expect(outcome).toMatchObject({ _tag: "Set" })
      expect((await weightsOnChain(w)).length).toBeGreaterThan(0)
    } finally {
      await w.dispose()
    }
  })

  test("a hotkey not registered on the subnet: a not-registered error naming hotkey and subnet; nothing set", async () => {
    const w = world(chainState({ withValidator: false }))
    try {
      await scoreOneRequest(w)
      const error = Either.getLeft(await attempt(w))
      expect(error._tag === "Some" && error.value._tag).toMatch(/NotRegistered$/)
      const message = error._tag === "Some" ? error.value.message : ""
      expect(message).toContain(validatorKey.ss58Address)
      expect(message).toContain(`subnet ${NETUID}`)
      expect(await w.runPromise(Effect.flatMap(Chain, (c) => c.weightsOf(NETUID, Uid.make(0))))).toEqual([])
    } finally {
      await w.dispose()
    }
  })

  test("a version key below the subnet's weights version key: VersionKeyTooLow with both keys; nothing set", async () => {
    const w = world(chainState({ hyper: { weightsVersionKey: 7 } }), { versionKey: 6 })
    try {
      await scoreOneRequest(w)
      const error = Either.getLeft(await attempt(w))
      expect(error._tag === "Some" && error.value).toMatchObject({ _tag: "VersionKeyTooLow", ours: 6, required: 7 })
      expect(await weightsOnChain(w)).toEqual([])
    } finally {
      await w.dispose()
    }
    // The same key as the subnet's is accepted.
    const equal = world(chainState({ hyper: { weightsVersionKey: 7 } }), { versionKey: 7 })
    try {
      await scoreOneRequest(equal)
      expect(Either.getOrThrow(await attempt(equal))._tag).toBe("Set")
    } finally {
      await equal.dispose()
    }
  })

  test("nothing scored yet: skipped as no scores yet, nothing set", async () => {
    const w = world(chainState({}))
    try {
      expect(Either.getOrThrow(await attempt(w))).toEqual({ _tag: "Skipped", reason: "no scores yet" })
      expect(await weightsOnChain(w)).toEqual([])
    } finally {
      await w.dispose()
    }
  })

  test("scores held only for hotkeys that have since left their uids count 0: skipped as no scores yet", async () => {
    const store: StoreConfig = { _tag: "sqlite", filename: join(dir, "replaced.sqlite") }
    const before = world(chainState({}), { store })
    try {
      await scoreOneRequest(before)
    } finally {
      await before.dispose()
    }
    // The same store, the uids now held by other hotkeys (deregistered and replaced).
    const replaced = ["//New1", "//New2", "//New3"].map((u) => keypairFromUri(u).ss58Address)
    const after = world(chainState({ hotkeys: replaced }), { store })
    try {
      expect((await after.runPromise(Effect.flatMap(ScoreLedger, (s) => s.loadScores))).some((s) => s.score > 0)).toBe(true)
      expect(Either.getOrThrow(await attempt(after))).toEqual({ _tag: "Skipped", reason: "no scores yet" })
      expect(await weightsOnChain(after)).toEqual([])
    } finally {
      await after.dispose()
    }
  })
})
