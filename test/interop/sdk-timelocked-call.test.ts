/**
 * Our validator's timelocked commit against the Python SDK's own path (bittensor 10.5.0
 * `commit_timelocked_weights_extrinsic`, which calls bittensor-drand's `get_encrypted_commit_v2`) for
 * the same inputs: the set-weights step runs on today's-runtime twin with the commit recorded; the SDK
 * runs against a recording stand-in for its chain connection with the same epoch state, weights and
 * hotkey. The composed calls must agree argument by argument (the ciphertext is randomised, so it is
 * compared by layout and length; the reveal round by the wall clock bracketing each side). No spec-425
 * metadata is available here, so encoded call bytes are not compared.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import * as ChainMemory from "../../src/adapters/chain/memory.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import { layerDev } from "../../src/adapters/wallet/wallet-fs.ts"
import { timelockRevealRound } from "../../src/domain/chain/epoch-schedule.ts"
import { QUICKNET, deserializeTimelock } from "../../src/domain/chain/timelock.ts"
import type { WeightsRuntime } from "../../src/domain/chain/weights-path.ts"
import { encodeWeightsTlockPayload } from "../../src/domain/chain/weights-tlock-payload.ts"
import { setWeights } from "../../src/pipeline/validator/set-weights.ts"
import { ValidatorSettings } from "../../src/pipeline/validator/settings.ts"
import { Chain, type TimelockedCommit } from "../../src/services/chain.ts"
import { writeScores } from "../support/validator-stores.ts"
import { NETUID, VALIDATOR_WALLET, minerKeys, testValidatorSettings, validatorKey } from "../support/validator-world.ts"
import { pythonEnv, peerResult, runPython } from "../support/python-env.ts"
import { Netuid } from "../../src/domain/chain/ids.ts"

setDefaultTimeout(120_000)

const miners = [minerKeys.good, minerKeys.half, minerKeys.bad]
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

/** Runs our step once on the twin, recording the runtime it read and the commit it sent. */
const ourCommit = async (mechanismId: number) => {
  const seen: { rt?: WeightsRuntime; commit?: TimelockedCommit; before?: number; after?: number } = {}
  const recordingChain = Layer.effect(
    Chain,
    Effect.map(
      ChainMemory.make({
        spec425: {},
        subnets: [
          {
            netuid: NETUID,
            mechanismCount: 2,
            hyperparameters: { tempo: 360, weightsRateLimit: 0, commitRevealPeriod: 2 },
            neurons: [
              { hotkey: validatorKey.ss58Address, coldkey: keypairFromUri(VALIDATOR_WALLET).ss58Address, stake: 5000, validatorPermit: true },
              ...miners.map((m, i) => ({ hotkey: m.ss58Address, coldkey: keypairFromUri(`//Coldkey${i}`).ss58Address }))
            ]
          }
        ]
      }),
      ({ chain }) => ({
        ...chain,
        weightsRuntime: (netuid: Netuid) => Effect.tap(chain.weightsRuntime(netuid), (rt) => void (seen.rt = rt)),
        commitTimelockedWeights: (hotkey, c) =>
          Effect.zipRight(
            Effect.sync(() => void (seen.commit = c)),
            chain.commitTimelockedWeights(hotkey, c)
          )
      })
    )
  )
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      recordingChain,
      ValidatorStoreSql.layerTest,
      layerDev(VALIDATOR_WALLET),
      Layer.succeed(ValidatorSettings, testValidatorSettings({ mechanismId, versionKey: 9_012_002 })),
      Logger.minimumLogLevel(LogLevel.Warning)
    )
  )
  await runtime.runPromise(
    writeScores(miners.map((m, i) => ({ uid: i + 1, hotkey: m.ss58Address, score: [0.9, 0.5, 0.1][i]! })))
  )
  seen.before = Date.now() / 1000
  const outcome = await runtime.runPromise(setWeights())
  seen.after = Date.now() / 1000
  await runtime.dispose()
  if (outcome._tag !== "Set" || seen.rt === undefined || seen.commit === undefined) throw new Error("no timelocked commit was made")
  return { outcome, rt: seen.rt, commit: seen.commit, before: seen.before, after: seen.after }
}

describe("our timelocked commit against the SDK's commit_timelocked_weights_extrinsic (bittensor 10.5.0)", () => {
  for (const mechanismId of [0, 1]) {
    test(`mechanism ${mechanismId}: the same call, argument by argument`, async () => {
      const ours = await ourCommit(mechanismId)
      const epoch = ours.rt.epoch!
      const env = await pythonEnv("sdk10")
      const input = {
        netuid: NETUID,
        mechid: mechanismId,
        uids: ours.outcome.uids,
        weights: ours.outcome.weights,
        block_time: ours.rt.blockSeconds,
        commit_reveal_version: ours.rt.commitRevealVersion,
        version_key: 9_012_002,
        reveal_period: ours.rt.revealPeriod,
        hotkey_uri: `${VALIDATOR_WALLET}//hot`,
        schedule: {
          last_epoch_block: epoch.lastEpochBlock,
          pending_epoch_at: epoch.pendingEpochAt,
          subnet_epoch_index: epoch.subnetEpochIndex,
          tempo: epoch.tempo,
          blocks_since_last_step: epoch.blocksSinceLastStep,
          current_block: epoch.currentBlock
        }
      }
      const run = await runPython(env, ["sdk_timelocked_call.py"], { stdin: JSON.stringify(input) })
      const sdk = peerResult<{
        before: number
        after: number
        args: Record<string, unknown>
        call: { call_module: string; call_function: string; call_params: Record<string, unknown> }
        scale_payload: string
        hotkey_public_key: string
      }>(run, "sdk_timelocked_call.py")

      // The call: the mechanism variant, with our netuid, mecid and the chain's commit-reveal version.
      expect(sdk.call.call_module).toBe("SubtensorModule")
      expect(sdk.call.call_function).toBe(ours.commit.mechanism ? "commit_timelocked_mechanism_weights" : "commit_timelocked_weights")
      expect({ netuid: sdk.call.call_params["netuid"], mecid: sdk.call.call_params["mecid"], version: sdk.call.call_params["commit_reveal_version"] }).toEqual({
        netuid: ours.commit.netuid,
        mecid: ours.commit.mechanismId,
        version: ours.commit.commitRevealVersion
      })
      // What it encrypted: our uids, u16 values, version key and hotkey public key, and our epoch inputs.
      expect(sdk.args).toMatchObject({
        uids: [...ours.outcome.uids],
        weights: [...ours.outcome.weights],
        version_key: 9_012_002,
        hotkey: hex(validatorKey.publicKey),
        subnet_reveal_period_epochs: ours.rt.revealPeriod,
        current_block: epoch.currentBlock
      })
      // The plaintext: scalecodec's WeightsTlockPayload equals ours byte for byte.
      const payload = encodeWeightsTlockPayload({ hotkey: validatorKey.publicKey, uids: ours.outcome.uids, values: ours.outcome.weights, versionKey: 9_012_002n })
      expect(sdk.scale_payload).toBe(hex(payload))
      // The reveal round: each side's equals our formula at its own wall-clock time (rounds move 4 per 12 s block).
      const at = (t: number) => timelockRevealRound(epoch, ours.rt.revealPeriod, ours.rt.blockSeconds, t, QUICKNET)
      const sdkRound = Number(sdk.call.call_params["reveal_round"])
      expect(sdkRound).toBeGreaterThanOrEqual(at(sdk.before))
      expect(sdkRound).toBeLessThanOrEqual(at(sdk.after))
      expect(ours.commit.revealRound).toBeGreaterThanOrEqual(at(ours.before))
      expect(ours.commit.revealRound).toBeLessThanOrEqual(at(ours.after))
      // The commit: both TLECiphertexts of the same payload have the same layout and length.
      const theirs = deserializeTimelock(new Uint8Array(Buffer.from(String(sdk.call.call_params["commit"]), "hex")))
      const mine = deserializeTimelock(ours.commit.commit)
      expect(ours.commit.commit.length).toBe(String(sdk.call.call_params["commit"]).length / 2)
      expect([mine.body.ciphertext.length, mine.body.nonce.length, mine.v.length, mine.w.length]).toEqual([
        theirs.body.ciphertext.length, theirs.body.nonce.length, theirs.v.length, theirs.w.length
      ])
      expect(mine.body.ciphertext.length).toBe(payload.length + 16)
    })
  }
})
