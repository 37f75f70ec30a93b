/**
 * Our dendrite against Python Dojo neurons on the real SDK Axon (10.5.0 and 9.12.2), over loopback:
 *  - our validator's query step asks Python miners (forward, blacklist and priority as the Python Dojo
 *    miner had them) and reads ranks, statuses and messages as the SDK's own Dendrite reads them, for
 *    200, 401 (bad signature), 403 (blacklist), 408 (timeout), 422 (a reply it cannot parse), 404 and
 *    500 replies;
 *  - our miner's human-feedback delivery step hands an MTurkResponse to a Python validator's axon.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, Either, Layer, ManagedRuntime, Option, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DendriteLive from "../../src/adapters/dendrite/dendrite.ts"
import * as MinerStoreSql from "../../src/adapters/store/miner-store-sql.ts"
import { keypairFromUri } from "../../src/adapters/wallet/sr25519.ts"
import { freePort } from "../../src/programs/demo/processes.ts"
import type { Neuron } from "../../src/domain/chain/metagraph.ts"
import { encodeBody, jsonRenderer, SDK_VERSION, terminal, toHeaders, wireBodyHash } from "../../src/domain/wire/synapse.ts"
import { RankingResultSynapse, RankingRequestSynapse } from "../../src/domain/wire/synapses.ts"
import { deliverHit } from "../../src/pipeline/miner/human-feedback-delivery.ts"
import { staticMetagraphView } from "../../src/pipeline/miner/metagraph-view.ts"
import { defaultMinerSettings, MinerSettings } from "../../src/pipeline/miner/settings.ts"
import { queryMiners } from "../../src/pipeline/validator/query-miners.ts"
import { Dendrite } from "../../src/services/dendrite.ts"
import { MinerStore } from "../../src/services/miner-store.ts"
import { ValidatorCredentials } from "../../src/services/validator-credentials.ts"
import { rankingRequest } from "../pipeline/miner/miner-fixture.ts"
import { testNeuron } from "../support/fixtures.ts"
import { type PythonEnvName, pythonEnv } from "../support/python-env.ts"
import { type PyAxon, type PyBehaviour, pythonDendrite, startPythonAxons } from "../support/python-neurons.ts"
import { Netuid } from "../../src/domain/chain/ids.ts"

setDefaultTimeout(60_000)

const validatorKey = keypairFromUri("//Alice//hot")
const minerKey = keypairFromUri("//Bob//hot")
const IP = "127.0.0.2"
const QUERY_TIMEOUT = 2
const behaviours: ReadonlyArray<PyBehaviour> = ["score", "blacklist", "slow", "raise", "strict", "skewed"]

describe.each(["sdk10", "sdk9"] as ReadonlyArray<PythonEnvName>)("our dendrite → Python Dojo neurons on the SDK Axon (%s)", (envName) => {
  const dir = mkdtempSync(join(tmpdir(), `dojo-sdk-axon-${envName}-`))
  let started: Awaited<ReturnType<typeof startPythonAxons>>
  let byName: Record<string, PyAxon>
  const callerWallet = { path: join(dir, "wallets"), name: "py-caller", hotkey: "default" }
  const validator = ManagedRuntime.make(DendriteLive.layer({ hotkey: validatorKey }))

  beforeAll(async () => {
    const env = await pythonEnv(envName)
    const caller = await pythonDendrite(env, callerWallet, [], { createOnly: true })
    started = await startPythonAxons(env, dir, [
      ...behaviours.map((behaviour) => ({
        name: behaviour,
        wallet: { path: join(dir, "wallets"), name: `py-${behaviour}`, hotkey: "default" },
        ip: IP,
        port: freePort(IP),
        behaviour,
        // As the Python Dojo miner: only the subnet's validators (here: ours), the most staked first.
        allow: [validatorKey.ss58Address, minerKey.ss58Address, caller.hotkey],
        priority: { [validatorKey.ss58Address]: 5000 },
        sleep: QUERY_TIMEOUT + 2
      })),
      // A Python validator's axon: takes MTurkResponses from our miner only.
      { name: "validator", wallet: { path: join(dir, "wallets"), name: "py-validator", hotkey: "default" }, ip: IP, port: freePort(IP), behaviour: "score", allow: [minerKey.ss58Address] }
    ])
    byName = Object.fromEntries(started.axons.map((a) => [a.name, a]))
  }, 120_000)

  afterAll(async () => {
    await started?.peer.stop()
    await validator.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  const neuronOf = (a: PyAxon, uid: number, hotkey = a.hotkey): Neuron =>
    testNeuron(uid, { hotkey, axon: { ip: a.ip, port: a.port, ipType: 4, protocol: 4, version: 0, block: 1 } })

  test("the query step keeps the Python miner's ranks and reads every status as the SDK's Dendrite does", async () => {
    const env = await pythonEnv(envName)
    const request = rankingRequest({
      texts: ["First, knead the dough, then let it rest; I recommend checking it carefully.", "whatever, google it idk", "Then bake it. Thanks!"]
    })
    // A stale metagraph entry: the axon at that address signs for another hotkey, so the signature names the wrong receiver.
    const wrongHotkey = keypairFromUri("//Ferdie//hot").ss58Address
    const targets = [...behaviours.map((b, i) => neuronOf(byName[b]!, i + 1)), neuronOf(byName.score!, 99, wrongHotkey)]

    const outcome = await validator.runPromise(queryMiners(request, targets, QUERY_TIMEOUT))
    expect(Object.fromEntries(outcome.statuses)).toEqual({ 200: 1, 401: 1, 403: 1, 408: 1, 422: 1, 500: 2 })
    expect(outcome.responses.map((r) => r.uid)).toEqual([1])
    const kept = outcome.responses[0]!
    expect(kept.scoringMethod).toBe("hf_model")
    expect(kept.modelConfig).toEqual({ provider: null, model_name: "word-count-score" })
    expect(kept.ranks.map((r) => r.cid)).toEqual(["cid-0", "cid-1", "cid-2"])
    expect(kept.ranks[0]!.score).toBeGreaterThan(kept.ranks[2]!.score)
    expect(kept.ranks[2]!.score).toBeGreaterThan(kept.ranks[1]!.score)

    // The Python forward saw our request as we sent it.
    const seen = started.records().find((r) => r.axon === "score" && r.body.request_id === request.request_id)!
    expect(seen.dendrite).toBe(validatorKey.ss58Address)
    expect(seen.body).toMatchObject({ prompt: request.prompt, n_completions: 3, completions: request.completions, epoch_timestamp: request.epoch_timestamp })

    // Statuses and messages, ours next to the SDK Dendrite's on the same axons.
    const ours = await validator.runPromise(
      Effect.flatMap(Dendrite, (d) =>
        d.callMany(targets.map((n) => ({ ip: n.axon.ip, port: n.axon.port, hotkey: n.hotkey })), RankingRequestSynapse, request, { timeout: QUERY_TIMEOUT })
      )
    )
    const { results: theirs } = await pythonDendrite(
      env,
      callerWallet,
      targets.map((n) => ({
        synapse: "RankingRequest" as const,
        fields: { ...request, completions: [...request.completions] },
        target: { ip: n.axon.ip, port: n.axon.port, hotkey: n.hotkey },
        timeout: QUERY_TIMEOUT
      }))
    )
    const expected: ReadonlyArray<[number, RegExp]> = [
      [200, /^Success$/],
      [403, /^Forbidden\. Key is blacklisted: this Python miner serves no one\.$/],
      [408, new RegExp(`^Request timeout after ${QUERY_TIMEOUT}(\\.0)? seconds$`)],
      [500, /^Internal Server Error #[0-9a-f-]{36}$/],
      // SynapseParsingError is not a SynapseException in the SDK: a class it cannot build from our headers is a 500, not 400.
      [500, /^Internal Server Error #[0-9a-f-]{36}$/],
      [422, /^Failed to parse response: /],
      [401, /^Not Verified with error: Signature mismatch with \d+\.\w+\.\w+\.[0-9a-f-]+\.a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a and 0x[0-9a-f]+$/]
    ]
    expected.forEach(([status, message], i) => {
      expect({ i, ours: ours[i]!.statusCode, sdk: theirs[i]!.status_code }).toEqual({ i, ours: status, sdk: status })
      expect(ours[i]!.statusMessage).toMatch(message)
      expect(theirs[i]!.status_message ?? "").toMatch(message)
    })
    // The same ranks reach the SDK's caller.
    expect(theirs[0]!.body.ranks).toEqual([...kept.ranks])
  })

  test("an unsigned request (nonce, no signature): 9.12.2 serves it, 10.5.0 refuses it (ours always refuses)", async () => {
    const a = byName.score!
    const request = rankingRequest()
    const wire = Either.getOrThrow(encodeBody(RankingRequestSynapse, request))
    const envelope = {
      timeout: 12,
      dendrite: terminal({ hotkey: validatorKey.ss58Address, version: SDK_VERSION, nonce: BigInt(Date.now()) * 1_000_000n, uuid: crypto.randomUUID() }),
      axon: terminal({ ip: a.ip, port: a.port, hotkey: a.hotkey })
    }
    const headers = toHeaders(RankingRequestSynapse, envelope, wire, wireBodyHash(RankingRequestSynapse, wire))
    const reply = await fetch(`http://${a.ip}:${a.port}/RankingRequest`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: jsonRenderer(RankingRequestSynapse, wire)(envelope)
    })
    const body = (await reply.json()) as { message?: string; ranks?: ReadonlyArray<unknown> }
    if (envName === "sdk9") {
      expect(reply.status).toBe(200)
      expect(body.ranks).toHaveLength(request.completions.length)
    } else {
      expect(reply.status).toBe(401)
      expect(body.message).toBe("Not Verified with error: Missing Signature")
    }
  })

  test("a synapse the Python axon does not serve is a 404 with the SDK's message", async () => {
    const reply = await validator.runPromise(
      Effect.flatMap(Dendrite, (d) =>
        d.call({ ip: byName.score!.ip, port: byName.score!.port, hotkey: byName.score!.hotkey }, RankingResultSynapse, {
          request_id: "r-1",
          cid_to_consensus: { a: 0.5 },
          hotkey_to_score: { [byName.score!.hotkey]: 0.9 }
        })
      )
    )
    expect(reply.statusCode).toBe(404)
    expect(reply.statusMessage).toMatch(/^Synapse name 'RankingResult' not found\. Available synapses \['Synapse', 'RankingRequest', 'MTurkResponse'\]$/)
  })

  test("our miner's delivery step hands an MTurkResponse to the Python validator's axon", async () => {
    const pyValidator = byName.validator!
    const hitId = "3PYTHONVALIDATORHIT0000000000"
    const credentials = {
      access_key_id: "ASIAPYTHONTEST",
      secret_access_key: Redacted.make("short-lived-secret"),
      session_token: Redacted.make("session-token"),
      access_expiration: "2026-12-03T13:00:00Z",
      environment: "sandbox" as const
    }
    const layers = Layer.mergeAll(
      MinerStoreSql.layerTest,
      DendriteLive.layer({ hotkey: minerKey }),
      Layer.succeed(MinerSettings, { ...defaultMinerSettings, netuid: Netuid.make(1), callbackSecret: Option.none() }),
      Layer.succeed(ValidatorCredentials, { issue: () => Effect.succeed(credentials) })
    )
    const view = staticMetagraphView({ netuid: Netuid.make(1), block: 1, neurons: [neuronOf(pyValidator, 0)] })
    const outcome = await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* MinerStore
        yield* store.recordHit({
          hitId,
          requestId: "req-mturk-1",
          validatorHotkey: pyValidator.hotkey,
          validatorIp: pyValidator.ip,
          validatorPort: pyValidator.port,
          cids: ["c0", "c1"],
          expectedAssignments: 2,
          createdAt: 1,
          expiresAt: 10_000_000_000
        })
        for (const [i, scores] of [{ c0: 10, c1: 1 }, { c0: 8, c1: 3 }].entries())
          yield* store.addAssignment({ assignmentId: `A${i}`, hitId, workerId: `W${i}`, scores, submittedAt: 2 })
        const hit = Option.getOrThrow(yield* store.getHit(hitId))
        const result = yield* deliverHit(view, hit)
        return { result, after: Option.getOrThrow(yield* store.getHit(hitId)).delivery }
      }).pipe(Effect.provide(layers))
    )
    expect(outcome.result).toBe("delivered")
    expect(outcome.after.status).toBe("delivered")
    const got = started.records().filter((r) => r.axon === "validator" && r.synapse === "MTurkResponse")
    expect(got).toHaveLength(1)
    expect(got[0]!.dendrite).toBe(minerKey.ss58Address)
    expect(got[0]!.body.mturk_hit_id).toBe(hitId)
    expect(got[0]!.body.completion_id_to_score.c0).toBeCloseTo((9 - 1) / 9, 12)
    expect(got[0]!.body.completion_id_to_score.c1).toBeCloseTo((2 - 1) / 9, 12)
    // The Python class has no request_id (pydantic drops it); the credentials arrive as plain strings.
    expect(got[0]!.body.request_id).toBeUndefined()
    expect(got[0]!.body.aws_credentials).toEqual({
      access_key_id: "ASIAPYTHONTEST",
      secret_access_key: "short-lived-secret",
      session_token: "session-token",
      access_expiration: "2026-12-03T13:00:00Z",
      environment: "sandbox"
    })
  })
})
