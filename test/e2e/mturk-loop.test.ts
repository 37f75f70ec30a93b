/**
 * The whole human-feedback loop over real HTTP on loopback, with only the AWS services stubbed:
 * validator dendrite → RankingRequest → miner axon (aws_mturk) → HIT in the MTurk stub → workers submit →
 * SNS event → Lambda `forward` → HMAC-signed callback → miner aggregates → MTurkResponse (with STS
 * credentials) → the validator's axon, which checks the HIT with MTurk itself using those credentials.
 * The chain is the in-memory twin.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { BunHttpServer } from "@effect/platform-bun"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Scope } from "effect"
import { forward } from "../../lambda/handler.ts"
import { defaultAxonConfig, layer as axonLayer } from "../../src/adapters/axon.ts"
import { ChainMemory } from "../../src/adapters/chain-memory.ts"
import * as DendriteLive from "../../src/adapters/dendrite.ts"
import * as MTurkClient from "../../src/adapters/mturk-client.ts"
import * as MTurkScorer from "../../src/adapters/scorer-mturk.ts"
import { MinerStoreTest } from "../../src/adapters/sql/miner-store-sql.ts"
import { keypairFromUri } from "../../src/adapters/sr25519.ts"
import { stsAssumeRole } from "../../src/adapters/sts-assume-role.ts"
import * as Issuer from "../../src/adapters/validator-credentials.ts"
import { layerDev } from "../../src/adapters/wallet-fs.ts"
import type { MTurkResponse } from "../../src/domain/protocol.ts"
import { MTurkResponseSynapse, RankingRequestSynapse } from "../../src/domain/synapses.ts"
import { CALLBACK_PATH, serveCallbackApi } from "../../src/pipeline/miner/human-feedback-callback.ts"
import { startDeliveryLoop } from "../../src/pipeline/miner/human-feedback-delivery.ts"
import { startMiner } from "../../src/pipeline/miner/serve.ts"
import { defaultMinerSettings, MinerSettings } from "../../src/pipeline/miner/settings.ts"
import { axonRoute } from "../../src/services/axon.ts"
import { Chain } from "../../src/services/chain.ts"
import { Dendrite } from "../../src/services/dendrite.ts"
import { MinerStore } from "../../src/services/miner-store.ts"
import type { MTurkAssignment } from "../../src/services/mturk.ts"
import { startAxon, until } from "../adapters/axon-fixture.ts"
import { rankingRequest } from "../pipeline/miner/miner-fixture.ts"
import { startMTurkStub } from "../support/stubs/mturk.ts"
import { startStsStub } from "../support/stubs/sts.ts"

setDefaultTimeout(60_000)

const NETUID = 3
const MINER_KEY = "AKIDMINERLONGLIVED"
const MINER_SECRET = "miner-long-lived-secret"
const LAMBDA_KEY = "AKIDLAMBDAROLE"
const CALLBACK_SECRET = Redacted.make("shared-lambda-miner-secret-0123456789")
const ROLE = "arn:aws:iam::123456789012:role/dojo-validator-verify"
const TOPIC = "arn:aws:sns:us-east-1:123456789012:dojo-mturk"

const validatorHotkey = keypairFromUri("//Alice//hot")
const minerHotkey = keypairFromUri("//Bob//hot")

const mturkKeys: string[] = [MINER_KEY, LAMBDA_KEY]
const mturk = startMTurkStub({ accessKeyIds: mturkKeys })
const sts = startStsStub({ accessKeyIds: [MINER_KEY], onIssue: (c) => mturkKeys.push(c.accessKeyId) })

/** What the validator's axon got, and what MTurk told it when it checked with the given credentials. */
const arrived: Array<{ response: MTurkResponse; listed: ReadonlyArray<MTurkAssignment> | string }> = []
let validatorAxon: Awaited<ReturnType<typeof startAxon>>

const minerScope = Effect.runSync(Scope.make())
let miner: Awaited<ReturnType<typeof startMinerNode>>
const validatorRuntime = ManagedRuntime.make(DendriteLive.layerFetch({ hotkey: validatorHotkey }))

/** The miner, as the program runs it for aws_mturk: axon + chain, callback API, delivery loop. */
const startMinerNode = async (validatorPort: number) => {
  const minerCreds = { accessKeyId: MINER_KEY, secretAccessKey: Redacted.make(MINER_SECRET) }
  const layers = Layer.mergeAll(
    ChainMemory.layer({
      subnets: [
        {
          netuid: NETUID,
          neurons: [
            {
              hotkey: validatorHotkey.ss58Address,
              coldkey: keypairFromUri("//Alice").ss58Address,
              stake: 20_000,
              validatorPermit: true,
              axon: { ip: "127.0.0.3", port: validatorPort }
            },
            { hotkey: minerHotkey.ss58Address, coldkey: keypairFromUri("//Bob").ss58Address }
          ]
        }
      ]
    }),
    layerDev("//Bob"),
    axonLayer({ ...defaultAxonConfig, hotkey: minerHotkey.ss58Address, ip: "127.0.0.2", port: 0 }),
    MTurkScorer.layer({ snsTopicArn: TOPIC }).pipe(
      Layer.provide(MTurkClient.layer({ environment: "sandbox", endpoint: mturk.endpoint, credentials: minerCreds, maxAttempts: 1 }))
    ),
    MinerStoreTest,
    Layer.succeed(MinerSettings, {
      ...defaultMinerSettings,
      netuid: NETUID,
      callbackSecret: Option.some(CALLBACK_SECRET),
      deliveryPollSeconds: 0.05
    }),
    DendriteLive.layerFetch({ hotkey: minerHotkey }),
    Issuer.layer({ roleArn: ROLE, environment: "sandbox", assumeRole: stsAssumeRole({ credentials: minerCreds, endpoint: sts.endpoint, maxAttempts: 1 }) }),
    BunHttpServer.layer({ hostname: "127.0.0.1", port: 0 })
  )
  const runtime = ManagedRuntime.make(layers)
  const address = await runtime.runPromise(
    Effect.gen(function* () {
      const running = yield* startMiner
      const address = yield* serveCallbackApi
      yield* startDeliveryLoop(running.view)
      return address
    }).pipe(Scope.extend(minerScope))
  )
  if (address._tag !== "TcpAddress") throw new Error("callback API has no TCP address")
  return { runtime, callbackUrl: `http://127.0.0.1:${address.port}${CALLBACK_PATH}` }
}

beforeAll(async () => {
  validatorAxon = await startAxon({ hotkey: validatorHotkey.ss58Address, ip: "127.0.0.3" }, [
    axonRoute(MTurkResponseSynapse, {
      forward: (_, response) =>
        Effect.gen(function* () {
          const creds = response.aws_credentials
          const listed =
            creds === null
              ? "no credentials"
              : yield* MTurkClient.make({
                  environment: creds.environment,
                  endpoint: mturk.endpoint,
                  credentials: { accessKeyId: creds.access_key_id, secretAccessKey: creds.secret_access_key, sessionToken: creds.session_token },
                  maxAttempts: 1
                })
                  .listAssignmentsForHit(response.mturk_hit_id)
                  .pipe(Effect.catchAll((e) => Effect.succeed(`${e._tag}: ${e.message}`)))
          arrived.push({ response, listed })
          return response
        })
    })
  ])

  miner = await startMinerNode(validatorAxon.axon.bound.port)
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(minerScope, Exit.void))
  await miner.runtime.dispose()
  await validatorRuntime.dispose()
  await validatorAxon.stop()
  await sts.stop()
  await mturk.stop()
})

const lambdaMTurk = MTurkClient.make({
  environment: "sandbox",
  endpoint: mturk.endpoint,
  credentials: { accessKeyId: LAMBDA_KEY, secretAccessKey: Redacted.make("lambda-role-secret") },
  maxAttempts: 1
})

describe("MTurk human-feedback loop, end to end", () => {
  test("request → HIT → workers → SNS → Lambda → signed callback → aggregate → MTurkResponse verified by the validator", async () => {
    // The validator finds the miner's axon on chain, as a real validator would.
    const metagraph = await miner.runtime.runPromise(Effect.flatMap(Chain, (c) => c.metagraph(NETUID)))
    const minerNeuron = metagraph.neurons.find((n) => n.hotkey === minerHotkey.ss58Address)!
    expect(minerNeuron.axon.ip).toBe("127.0.0.2")
    const target = { ip: minerNeuron.axon.ip, port: minerNeuron.axon.port, hotkey: minerHotkey.ss58Address }

    const request = rankingRequest({ texts: ["a careful, correct answer", "a rude non-answer", "an answer with <b>markup</b> & quotes \""] })
    const reply = await validatorRuntime.runPromise(Effect.flatMap(Dendrite, (d) => d.call(target, RankingRequestSynapse, request)))
    expect(reply.statusCode).toBe(200)
    const answered = Option.getOrThrow(reply.body)
    expect(answered.scoring_method).toBe("aws_mturk")
    expect(answered.ranks).toEqual([])
    const hitId = answered.mturk_hit_id!
    expect(mturk.questionCids(hitId)).toEqual(["cid-0", "cid-1", "cid-2"])
    expect(mturk.notifications.get(mturk.hits.get(hitId)!.HITTypeId)?.Destination).toBe(TOPIC)

    // Three workers, each notification forwarded by the Lambda as it comes (each POST carries all so far).
    const sliders = [
      { "cid-0": 9, "cid-1": 2, "cid-2": 5 },
      { "cid-0": 10, "cid-1": 1, "cid-2": 6 },
      { "cid-0": 8, "cid-1": 3, "cid-2": 7 }
    ]
    for (const [i, scores] of sliders.entries()) {
      const assignmentId = mturk.submitAssignment(hitId, { scores })
      const summary = await Effect.runPromise(
        forward(mturk.snsEvent([{ hitId, assignmentId }], { topicArn: TOPIC }), { targetUrl: miner.callbackUrl, secret: CALLBACK_SECRET, mturk: lambdaMTurk })
      )
      expect(summary).toEqual({ hits: [hitId], assignments: i + 1, skippedRecords: 0 })
      if (i < 2) {
        await Bun.sleep(150) // several delivery passes: an incomplete, unexpired HIT must not go out
        expect(arrived).toEqual([])
      }
    }

    await until(async () => arrived.length > 0, "the MTurkResponse at the validator")
    const { response, listed } = arrived[0]!
    expect(response.mturk_hit_id).toBe(hitId)
    expect(response.request_id).toBe(request.request_id)
    expect(response.completion_id_to_score["cid-0"]).toBeCloseTo((9 - 1) / 9, 12)
    expect(response.completion_id_to_score["cid-1"]).toBeCloseTo((2 - 1) / 9, 12)
    expect(response.completion_id_to_score["cid-2"]).toBeCloseTo((6 - 1) / 9, 12)

    // The validator could check the HIT with MTurk itself, with short-lived credentials only.
    expect(typeof listed).not.toBe("string")
    expect((listed as ReadonlyArray<MTurkAssignment>).map((a) => a.assignmentId).sort()).toEqual(
      mturk.hits.get(hitId)!.assignments.map((a) => a.AssignmentId).sort()
    )
    const creds = response.aws_credentials!
    expect(creds.access_key_id).toStartWith("ASIA")
    expect(creds.access_key_id).not.toBe(MINER_KEY)
    expect(creds.environment).toBe("sandbox")
    const check = mturk.requests.filter((r) => r.operation === "ListAssignmentsForHIT" && r.accessKeyId === creds.access_key_id)
    expect(check).toHaveLength(1)
    expect(check[0]!.securityToken).toBe(Redacted.value(creds.session_token))
    const assumed = sts.requests.at(-1)!
    expect(assumed.accessKeyId).toBe(MINER_KEY)
    expect(JSON.parse(assumed.params["Policy"]!)).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "mechanicalturk:ListAssignmentsForHIT", Resource: "*" }]
    })
    expect(assumed.params["DurationSeconds"]).toBe("900")

    // Delivered once: a redelivered SNS notification changes nothing and sends nothing more.
    const stored = () => miner.runtime.runPromise(Effect.flatMap(MinerStore, (s) => s.getHit(hitId))).then(Option.getOrThrow)
    await until(async () => (await stored()).delivery.status === "delivered", "the miner to record the delivery")
    const hit = await stored()
    expect(hit.delivery.attempts).toBe(0)
    expect(hit.assignments).toHaveLength(3)
    const last = mturk.hits.get(hitId)!.assignments.at(-1)!.AssignmentId
    await Effect.runPromise(
      forward(mturk.snsEvent([{ hitId, assignmentId: last }], { topicArn: TOPIC }), { targetUrl: miner.callbackUrl, secret: CALLBACK_SECRET, mturk: lambdaMTurk })
    )
    await Bun.sleep(200)
    expect(arrived).toHaveLength(1)
    expect(await stored()).toEqual(hit)
  })
})
