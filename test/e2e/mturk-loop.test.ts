/**
 * The whole human-feedback loop with the real programs, on the local chain (spec 185 under chopsticks),
 * with only the AWS and Hugging Face services stubbed (their real wire formats):
 *   `src/programs/validator.ts` → RankingRequest → `src/programs/miner.ts --scoring_method aws_mturk`
 *   → HIT in the MTurk stub → workers submit → SNS event → the Lambda's `forward` → HMAC-signed callback
 *   on the miner's `--api.port` → the miner's delivery loop → MTurkResponse with STS credentials → the
 *   validator's `mturkResponseRoute`, which lists the HIT with MTurk itself, merges the workers' means and
 *   scores the request with the ×1.2 human-feedback boost.
 * The request comes through the validator's scoring API (three completions, key made with the api-keys
 * program). A second, `hf_model` miner (Inference-endpoint stub) answers it too, so the merge visibly
 * changes the consensus and the ×1.2 boost shows in the scores. Every program gets its AWS endpoints from the documented flags
 * (`--mturk.endpoint_url`, `--sts.endpoint_url`) and its secrets from the environment.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Option, Redacted, Scope } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { forward } from "../../lambda/handler.ts"
import * as MTurkClient from "../../src/adapters/mturk/client.ts"
import * as MinerStoreSql from "../../src/adapters/store/miner-store-sql.ts"
import * as ValidatorStoreSql from "../../src/adapters/store/validator-store.ts"
import { newColdkey, newHotkey } from "../../src/adapters/wallet/wallet-fs.ts"
import { accuracyMultiplier } from "../../src/domain/scoring/accuracy.ts"
import { computeConsensus, humanFeedbackBoost } from "../../src/domain/scoring/consensus.ts"
import { isServing } from "../../src/domain/chain/metagraph.ts"
import { syntheticPairsJsonl } from "../../src/programs/demo/models.ts"
import { freePort, spawnNeuron, tailOf, type NeuronProcess } from "../../src/programs/demo/processes.ts"
import { CALLBACK_PATH } from "../../src/adapters/http/human-feedback-callback.ts"
import { MinerStore } from "../../src/services/miner-store.ts"
import { RequestLedger } from "../../src/services/request-ledger.ts"
import { useLocalnet } from "../support/localnet-suite.ts"
import { oneLineFailure, runProgram } from "../support/run-program.ts"
import { startHfInferenceStub, toyLogit } from "../support/stubs/hf-inference.ts"
import { startMTurkStub } from "../support/stubs/mturk.ts"
import { startStsStub } from "../support/stubs/sts.ts"
import { Netuid } from "../../src/domain/chain/ids.ts"

const TAO = 1_000_000_000n
const MINER_KEY = "AKIDMINERLONGLIVED"
const MINER_SECRET = "miner-long-lived-secret"
const LAMBDA_KEY = "AKIDLAMBDAROLE"
const CALLBACK_SECRET = "shared-lambda-miner-secret-0123456789"
const HF_TOKEN = "hf_e2e_token"
const ROLE = "arn:aws:iam::123456789012:role/dojo-validator-verify"
const TOPIC = "arn:aws:sns:us-east-1:123456789012:dojo-mturk"
/** Seconds a request waits for human feedback before it is scored. */
const DEADLINE = 40

const ln = useLocalnet(185, { permitsFollowStake: true })

const mturkKeys: string[] = [MINER_KEY, LAMBDA_KEY]
const mturk = startMTurkStub({ accessKeyIds: mturkKeys })
const sts = startStsStub({ accessKeyIds: [MINER_KEY], onIssue: (c) => mturkKeys.push(c.accessKeyId) })
/** The hf_model miner's reward model: fixed logits per completion, so the consensus is known in shape. */
const LOGITS: Record<string, number> = { alpha: 3, beta: -3, gamma: 0 }
const hf = startHfInferenceStub({
  token: HF_TOKEN,
  behaviour: (pair) => ({ kind: "logit", logit: LOGITS[pair.textPair.split(" ")[0]!] ?? toyLogit(pair) })
})

const workDir = mkdtempSync(join(tmpdir(), "dojo-mturk-e2e-"))
const scope = Effect.runSync(Scope.make())
const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Scope.extend(effect, scope))

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await Promise.all([mturk.stop(), sts.stop(), hf.stop()])
  // DOJO_KEEP_E2E=1 keeps the neurons' logs and stores for a look after a failure.
  if (process.env["DOJO_KEEP_E2E"] === undefined) rmSync(workDir, { recursive: true, force: true })
  else console.log(`kept ${workDir}`)
})

/** The wallets' mnemonics: secrets that must never show in any output. */
const mnemonics: string[] = []
/** Set for every program though none uses it: a token in the environment must not leak either. */
const OPENAI_KEY = "sk-e2e-openai-token-0123456789abcdef"

const createWallet = (root: string, name: string) =>
  Effect.gen(function* () {
    const config = { path: root, name, hotkey: "default" }
    const cold = yield* newColdkey(config, 12, { usePassword: false })
    const hot = yield* newHotkey(config, 12, { usePassword: false })
    for (const key of [cold, hot]) if (key.mnemonic !== undefined) mnemonics.push(Redacted.value(key.mnemonic))
    return { name, coldkey: cold.keypair, hotkey: hot.keypair.ss58Address }
  })

const lambdaMTurk = MTurkClient.make({
  environment: "sandbox",
  endpoint: mturk.endpoint,
  credentials: { accessKeyId: LAMBDA_KEY, secretAccessKey: Redacted.make("lambda-role-secret") },
  maxAttempts: 1
})

const poll = async <A>(what: string, f: () => Promise<A | undefined>, processes: ReadonlyArray<NeuronProcess>, limitMs = 90_000): Promise<A> => {
  const started = Date.now()
  for (;;) {
    for (const p of processes)
      if (p.process.exitCode !== null) throw new Error(`${p.name} exited (${p.process.exitCode}) while waiting for ${what}:\n${tailOf(p.logPath)}`)
    const a = await f()
    if (a !== undefined) return a
    if (Date.now() - started > limitMs)
      throw new Error(`timed out waiting for ${what}\n${processes.map((p) => `--- ${p.name}\n${tailOf(p.logPath)}`).join("\n")}`)
    await Bun.sleep(300)
  }
}

describe("MTurk human-feedback loop, real programs end to end", () => {
  let netuid = Netuid.make(0)
  type W = { name: string; coldkey: import("../../src/domain/wallet/keypair.ts").Keypair; hotkey: string }
  let wallets: W[] = []
  let processes: NeuronProcess[] = []
  let apiKey = ""
  const ips = { validator: "127.0.0.3", mturk: "127.0.0.4", hf: "127.0.0.5" }
  const callbackPort = freePort(ips.mturk)
  const validatorApi = `http://${ips.validator}:${freePort(ips.validator)}`
  const walletRoot = join(workDir, "wallets")
  const identity = (name: string) => [
    "--netuid", String(netuid),
    "--wallet.path", walletRoot,
    "--wallet.name", name,
    "--wallet.hotkey", "default",
    "--neuron.data_dir", join(workDir, "neurons", name)
  ]

  beforeAll(async () => {
    wallets = await run(Effect.forEach(["validator", "mturk", "hf"], (n) => createWallet(walletRoot, n)))
    netuid = await run(ln.net.createSubnet({ tempo: 4 }))
    for (const w of wallets) await run(Effect.zipRight(ln.net.fund(w.coldkey.ss58Address, 20_000n * TAO), ln.net.registerNeuron(netuid, w.coldkey, w.hotkey)))
    await run(ln.net.stake(netuid, wallets[0]!.coldkey, wallets[0]!.hotkey, 5_000))
    await run(ln.net.nextEpoch(netuid))

    const seed = join(workDir, "seed.jsonl")
    writeFileSync(seed, syntheticPairsJsonl(50, 1234))
    const common = (name: string, ip: string) => {
      mkdirSync(join(workDir, "neurons", name), { recursive: true })
      return [...identity(name), "--subtensor.chain_endpoint", ln.net.endpoint, "--axon.ip", ip, "--axon.port", String(freePort(ip))]
    }
    // The scoring API's key, made with the real api-keys program in the validator's store.
    mkdirSync(join(workDir, "neurons", "validator"), { recursive: true })
    const keys = Bun.spawnSync(["bun", "run", "src/programs/api-keys.ts", "create", "--name", "e2e", ...identity("validator")], {
      cwd: join(import.meta.dir, "../..")
    })
    expect(keys.exitCode).toBe(0)
    apiKey = keys.stdout.toString().trim().split("\n").at(-1)!.trim()

    const logs = join(workDir, "logs")
    mkdirSync(logs, { recursive: true })
    const env = { LOG_LEVEL: "info", OPENAI_API_KEY: OPENAI_KEY, TOGETHER_API_KEY: OPENAI_KEY }
    processes = await run(
      Effect.all([
        spawnNeuron(
          "miner-mturk",
          "miner",
          [
            ...common("mturk", ips.mturk),
            "--api.ip", ips.mturk,
            "--api.port", String(callbackPort),
            "--scoring_method", "aws_mturk",
            "--aws_mturk_environment", "sandbox",
            "--mturk.endpoint_url", mturk.endpoint,
            "--sts.endpoint_url", sts.endpoint,
            "--mturk.max_assignments", "2",
            "--blacklist.min_stake", "0",
            "--logging.debug"
          ],
          logs,
          {
            ...env,
            AWS_ACCESS_KEY_ID: MINER_KEY,
            AWS_SECRET_ACCESS_KEY: MINER_SECRET,
            AWS_SNS_ARN_ID: TOPIC,
            AWS_ASSUME_ROLE_ARN: ROLE,
            DOJO_CALLBACK_SECRET: CALLBACK_SECRET
          }
        ),
        spawnNeuron(
          "miner-hf",
          "miner",
          [...common("hf", ips.hf), "--api.ip", ips.hf, "--api.port", String(freePort(ips.hf)), "--scoring_method", "hf_model", "--hf.endpoint_url", hf.endpointUrl, "--blacklist.min_stake", "0"],
          logs,
          { ...env, HF_TOKEN }
        ),
        spawnNeuron(
          "validator",
          "validator",
          [
            ...common("validator", ips.validator),
            "--api.ip", ips.validator,
            "--api.port", new URL(validatorApi).port,
            // One synthetic query at start; the request under test comes through the scoring API.
            "--neuron.step_seconds", "3600",
            "--neuron.timeout", "10",
            "--neuron.deadline", String(DEADLINE),
            "--evaluation.rate", "0",
            // Scores compared below are the original rule's: under the new default no miner has earned
            // accuracy credit from one request, so every score would be 0 and the ×1.2 boost invisible.
            "--neuron.reward_rule", "original",
            "--data.seed", seed,
            "--evaluation.datasets", seed,
            "--mturk.endpoint_url", mturk.endpoint,
            "--logging.debug"
          ],
          logs,
          env
        )
      ])
    )
  }, 180_000)

  test("HIT → workers → SNS → Lambda → signed callback → MTurkResponse → verified merge changes the consensus (×1.2)", async () => {
    const [, mturkMiner, hfMiner] = wallets as [W, W, W]
    await poll(
      "every neuron's axon on chain",
      async () => {
        const m = await Effect.runPromise(ln.net.chain.metagraph(netuid))
        return wallets.every((w) => m.neurons.some((n) => n.hotkey === w.hotkey && isServing(n.axon))) ? true : undefined
      },
      processes
    )
    const api = (path: string, init?: RequestInit) =>
      fetch(`${validatorApi}${path}`, { ...init, headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" } })
    await poll("the scoring API", () => fetch(`${validatorApi}/api/v1/openapi.json`).then((r) => (r.ok ? true : undefined), () => undefined), processes)

    // The application's request: both miners answer; the MTurk miner with a HIT, so no ranks yet.
    const scoredNow = await api("/api/v1/score", {
      method: "POST",
      body: JSON.stringify({ prompt: "Which answer is best?", completions: ["alpha answer", "beta answer", "gamma answer"] })
    })
    expect(scoredNow.status).toBe(200)
    const first = (await scoredNow.json()) as { request_id: string; cid_to_consensus: Record<string, number>; completions: Array<{ cid: string; text: string }>; responses: number }
    expect(first.responses).toBe(2)
    const requestId = first.request_id
    const cid = Object.fromEntries(first.completions.map((c) => [c.text.split(" ")[0]!, c.cid])) as Record<"alpha" | "beta" | "gamma", string>
    const cids = first.completions.map((c) => c.cid)
    // Before human feedback the consensus is the hf miner's alone: alpha > gamma > beta.
    expect(first.cid_to_consensus[cid.alpha]).toBeGreaterThan(first.cid_to_consensus[cid.gamma]!)
    expect(first.cid_to_consensus[cid.gamma]).toBeGreaterThan(first.cid_to_consensus[cid.beta]!)

    // The validator sends each miner the completions in its own order: match the HIT by its set of cids.
    const found = [...mturk.hits.keys()].find((h) => mturk.questionCids(h).sort().join() === [...cids].sort().join())
    expect(found).toBeDefined()
    const hitId = found!
    expect(mturk.notifications.get(mturk.hits.get(hitId)!.HITTypeId)?.Destination).toBe(TOPIC)

    // Two workers prefer beta, then gamma, then alpha; each notification goes through the Lambda to the
    // miner's real callback port.
    const callbackUrl = `http://${ips.mturk}:${callbackPort}${CALLBACK_PATH}`
    const sliders = [
      { [cid.alpha]: 1, [cid.beta]: 10, [cid.gamma]: 4 },
      { [cid.alpha]: 1, [cid.beta]: 10, [cid.gamma]: 4 }
    ]
    for (const [w, scores] of sliders.entries()) {
      const assignmentId = mturk.submitAssignment(hitId, { scores })
      const summary = await Effect.runPromise(
        forward(mturk.snsEvent([{ hitId: hitId, assignmentId }], { topicArn: TOPIC }), {
          targetUrl: callbackUrl,
          secret: Redacted.make(CALLBACK_SECRET),
          mturk: lambdaMTurk
        })
      )
      expect(summary).toEqual({ hits: [hitId], assignments: w + 1, skippedRecords: 0 })
    }

    // The validator verifies the HIT with MTurk (with the STS credentials the miner sent) and merges it.
    const validatorStore = ValidatorStoreSql.layer({ _tag: "sqlite", filename: join(workDir, "neurons", "validator", "dojo.sqlite") })
    const readRequest = () =>
      Effect.runPromise(Effect.provide(Effect.flatMap(RequestLedger, (s) => s.getRequest(requestId)), validatorStore)).then(Option.getOrUndefined)
    const merged = await poll(
      "the validator to merge the verified human feedback",
      async () => {
        const r = await readRequest()
        return r?.responses.some((x) => x.hotkey === mturkMiner.hotkey && x.humanVerified) ? r : undefined
      },
      processes
    )
    expect(merged.status).toBe("pending")
    const issued = sts.issued.at(-1)!
    expect(issued.accessKeyId).toStartWith("ASIA")
    expect(mturk.requests.filter((r) => r.operation === "ListAssignmentsForHIT" && r.accessKeyId === issued.accessKeyId).length).toBeGreaterThanOrEqual(1)
    const human = merged.responses.find((x) => x.hotkey === mturkMiner.hotkey && x.humanVerified)!
    expect(human.mturkHitId).toBe(hitId)
    for (const c of cids) expect(human.ranks.find((r) => r.cid === c)!.score).toBeCloseTo((sliders[0]![c]! - 1) / 9, 12)

    // After the deadline the validator scores it: the consensus now includes the human means.
    type Status = { status: string; result?: { cid_to_consensus: Record<string, number>; hotkey_to_score: Record<string, number> } }
    const final = await poll(
      "the validator to score the request",
      async () => {
        const s = (await (await api(`/api/v1/score/${requestId}`)).json()) as Status
        return s.status === "scored" ? s.result! : undefined
      },
      processes,
      (DEADLINE + 60) * 1000
    )
    const stored = (await readRequest())!
    const hfRanks = stored.responses.find((x) => x.hotkey === hfMiner.hotkey)!.ranks
    for (const c of cids) {
      const hfScore = hfRanks.find((r) => r.cid === c)!.score
      const humanScore = human.ranks.find((r) => r.cid === c)!.score
      expect(final.cid_to_consensus[c]).toBeCloseTo((hfScore + humanScore) / 2, 9)
      expect(final.cid_to_consensus[c]).not.toBeCloseTo(first.cid_to_consensus[c]!, 3)
    }
    // The human feedback is boosted ×1.2: the final scores are the boosted consensus, not the plain one.
    const responses = stored.responses.map((r) => ({ hotkey: r.hotkey, scoringMethod: r.scoringMethod, humanVerified: r.humanVerified, ranks: r.ranks }))
    const accuracy = () => accuracyMultiplier(0, 0)
    const boosted = computeConsensus({ cids, responses, accuracy })
    const plain = computeConsensus({ cids, responses: responses.map((r) => ({ ...r, humanVerified: false })), accuracy })
    expect(humanFeedbackBoost).toBe(1.2)
    expect(Object.keys(final.hotkey_to_score).sort()).toEqual([mturkMiner.hotkey, hfMiner.hotkey].sort())
    for (const h of [mturkMiner.hotkey, hfMiner.hotkey]) expect(final.hotkey_to_score[h]).toBeCloseTo(boosted.hotkeyToScore[h]!, 9)
    expect(boosted.hotkeyToScore[mturkMiner.hotkey]).not.toBeCloseTo(plain.hotkeyToScore[mturkMiner.hotkey]!, 4)

    // The miner recorded the delivery once.
    const minerStore = MinerStoreSql.layer({ _tag: "sqlite", filename: join(workDir, "neurons", "mturk", "dojo.sqlite") })
    const hit = await Effect.runPromise(Effect.provide(Effect.flatMap(MinerStore, (s) => s.getHit(hitId)), minerStore)).then(Option.getOrThrow)
    expect(hit.delivery.status).toBe("delivered")
    expect(hit.assignments).toHaveLength(2)
  }, 240_000)

  test("a second validator on the same --api.port: one line naming the port, non-zero exit, no stack trace", async () => {
    const port = new URL(validatorApi).port
    const run = await runProgram("validator", [
      ...identity("validator"),
      "--store.path", ":memory:",
      "--subtensor.chain_endpoint", ln.net.endpoint,
      "--axon.ip", ips.validator,
      "--axon.port", "0",
      "--api.ip", ips.validator,
      "--api.port", port,
      "--data.seed", join(workDir, "seed.jsonl"),
      "--evaluation.datasets", join(workDir, "seed.jsonl")
    ])
    expect(oneLineFailure(run, "validator", new RegExp(port))).toBeUndefined()
  })

  test("no secret in any log line, in /metrics or in the dashboard's output", async () => {
    const secrets = [
      MINER_SECRET,
      CALLBACK_SECRET,
      HF_TOKEN,
      OPENAI_KEY,
      "lambda-role-secret",
      apiKey,
      ...sts.issued.flatMap((c) => [c.secretAccessKey, c.sessionToken]),
      ...mnemonics
    ]
    expect(apiKey.length).toBeGreaterThan(20)
    expect(sts.issued.length).toBeGreaterThan(0)
    expect(mnemonics.length).toBe(6)
    const outputs: Array<[string, string]> = readdirSync(join(workDir, "logs")).map((f) => [f, readFileSync(join(workDir, "logs", f), "utf8")])
    const api = new URL(validatorApi)
    for (const path of ["/metrics", "/", "/dashboard/api/overview", "/dashboard/api/metagraph", "/dashboard/api/history", "/dashboard/api/requests", "/api/v1/openapi.json"])
      outputs.push([path, await (await fetch(new URL(path, api))).text()])
    const page = JSON.parse(outputs.find(([p]) => p === "/dashboard/api/requests")![1]) as { rows: Array<{ requestId: string }> }
    expect(page.rows.length).toBeGreaterThan(0)
    for (const r of page.rows)
      outputs.push([`requests/${r.requestId}`, await (await fetch(new URL(`/dashboard/api/requests/${r.requestId}`, api))).text()])
    expect(outputs.find(([p]) => p === "/metrics")![1]).toContain("# TYPE")
    expect(outputs.find(([p]) => p.startsWith("validator"))![1]).toContain("human feedback merged")
    for (const [where, text] of outputs)
      for (const secret of secrets) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false })
  })
})
