/**
 * `bun run demo`: a whole Dojo subnet on this machine. The real subtensor runtime (spec 185) under
 * chopsticks, a subnet, validators, four `hf_model` miners of clearly different quality and one that
 * scores at random (a cheater, `--demo.random_scores`) — each its own process with its own wallet — then
 * scoring, weights on chain, Yuma, and a table that checks that incentive follows accuracy and that
 * the random miner earns (next to) nothing.
 */
import { Console, Effect, Fiber, Layer, Option, Schedule } from "effect"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Netuid } from "../../domain/chain/ids.ts"
import { isServing, uidOf, type Metagraph } from "../../domain/chain/metagraph.ts"
import { startLocalnet, type Localnet } from "../../adapters/chain/localnet.ts"
import * as MinerStoreSql from "../../adapters/store/miner-store-sql.ts"
import * as ValidatorStoreSql from "../../adapters/store/validator-store.ts"
import { newColdkey, newHotkey } from "../../adapters/wallet/wallet-fs.ts"
import { MinerStore } from "../../services/miner-store.ts"
import { DashboardReadModel } from "../../services/dashboard-read-model.ts"
import { RequestLedger } from "../../services/request-ledger.ts"
import { ScoreLedger } from "../../services/score-ledger.ts"
import { trainDemoModels, syntheticPairsJsonl, type DemoModel } from "./models.ts"
import { freePort, spawnNeuron, type NeuronProcess } from "./processes.ts"
import { cheaterShare, incentiveFollowsAccuracy, renderTable, type MinerRow } from "./report.ts"

/** What the demo is asked to do. */
export interface DemoOptions {
  /** Fewer requests: for the end-to-end test. */
  readonly short: boolean
  /** Keep everything running after the table, until Ctrl-C. */
  readonly keep: boolean
  readonly validators: number
  readonly seed: number
  /** Give up if scoring has not finished by then. */
  readonly timeoutSeconds: number
}

/** The demo's outcome, for the program's exit code and for tests. */
export interface DemoResult {
  readonly rows: ReadonlyArray<MinerRow>
  readonly ordered: boolean
  readonly weightsBlock: number
  readonly workDir: string
}

const TAO = 1_000_000_000n
/** Blocks per epoch: tempo 4 runs Yuma every 5 blocks. */
const TEMPO = 4

const started = Date.now()
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`

/** Runs one phase, printing its name, then a tick and how long it took. */
const phase = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const t = Date.now()
    yield* Console.log(`▸ ${label}…`)
    const a = yield* effect
    yield* Console.log(`  ✓ ${label} (${elapsed(t)}, ${elapsed(started)} since start)`)
    return a
  })

interface Neuron {
  readonly name: string
  readonly role: "validator" | "miner"
  readonly wallet: { readonly name: string; readonly hotkey: string; readonly path: string }
  readonly hotkey: string
  readonly coldkey: import("../../domain/wallet/keypair.ts").Keypair
  readonly ip: string
  readonly model?: DemoModel
  /** For an llm_api miner: the provider whose key is set. */
  readonly llm?: "openai" | "togetherai"
  /** An aws_mturk miner (only with AWS sandbox credentials). */
  readonly mturk?: true
  /** Scores at random: a miner that does no work. */
  readonly random?: true
}

const createWallet = (root: string, name: string) =>
  Effect.gen(function* () {
    const config = { path: root, name, hotkey: "default" }
    const cold = yield* newColdkey(config, 12, { usePassword: false })
    const hot = yield* newHotkey(config, 12, { usePassword: false })
    return { wallet: config, coldkey: cold.keypair, hotkey: hot.keypair.ss58Address }
  })

/** Polls until every hotkey has a served axon on chain. */
const waitForAxons = (net: Localnet, netuid: Netuid, hotkeys: ReadonlyArray<string>, processes: ReadonlyArray<NeuronProcess>) =>
  Effect.gen(function* () {
    const ready = (m: Metagraph) => hotkeys.every((h) => m.neurons.some((n) => n.hotkey === h && isServing(n.axon)))
    const poll = net.chain.metagraph(netuid).pipe(
      Effect.flatMap((m) => (ready(m) ? Effect.succeed(m) : Effect.fail("not yet" as const))),
      Effect.retry(Schedule.spaced("300 millis").pipe(Schedule.upTo("90 seconds")))
    )
    // Any neuron dying while we wait ends the wait with its log.
    return yield* Effect.raceFirst(poll, Effect.raceAll(processes.map((p) => p.exited)))
  })

/** Runs the demo. */
export const runDemo = (options: DemoOptions) =>
  Effect.gen(function* () {
    const workDir = mkdtempSync(join(tmpdir(), "dojo-demo-"))
    const logDir = join(workDir, "logs")
    const walletRoot = join(workDir, "wallets")
    mkdirSync(logDir, { recursive: true })
    yield* Console.log(`Dojo demo — a local subnet in ${workDir}\n`)

    const models = yield* phase("train four reward models of different quality", trainDemoModels(join(workDir, "models"), options.seed))
    for (const m of models) yield* Console.log(`    ${m.name.padEnd(7)} accuracy on 2,000 unseen pairs: ${m.accuracy.toFixed(3)}`)
    const seedData = join(workDir, "seed.jsonl")
    const evaluationData = join(workDir, "evaluation.jsonl")
    writeFileSync(seedData, syntheticPairsJsonl(500, 70_000 + options.seed))
    writeFileSync(evaluationData, syntheticPairsJsonl(500, 80_000 + options.seed))

    const net = yield* phase("start the subtensor runtime (spec 185) under chopsticks", startLocalnet({ spec: 185 }))
    yield* Console.log(`    endpoint ${net.endpoint}`)
    const netuid = yield* phase("create a subnet", net.createSubnet({ tempo: TEMPO }))

    // An LLM miner joins only when the operator has an API key; its accuracy is not known in advance.
    const llm: Neuron["llm"] = Bun.env.OPENAI_API_KEY ? "openai" : Bun.env.TOGETHER_API_KEY ? "togetherai" : undefined
    // An MTurk miner posts real HITs to the sandbox; workers answer long after the demo, so it shows only
    // that HITs are created and answered with their ids.
    const mturk = Boolean(Bun.env.AWS_ACCESS_KEY_ID && Bun.env.AWS_SECRET_ACCESS_KEY && Bun.env.AWS_SNS_ARN_ID)
    const specs: Array<Pick<Neuron, "name" | "role" | "model" | "llm" | "mturk" | "random">> = [
      ...Array.from({ length: options.validators }, (_, i) => ({ name: `validator${i + 1}`, role: "validator" as const })),
      ...models.map((m) => ({ name: `miner-${m.name}`, role: "miner" as const, model: m })),
      { name: "miner-random", role: "miner" as const, random: true as const },
      ...(llm === undefined ? [] : [{ name: "miner-llm", role: "miner" as const, llm }]),
      ...(mturk ? [{ name: "miner-mturk", role: "miner" as const, mturk: true as const }] : [])
    ]
    const neurons = yield* phase(
      `create ${options.validators} validator and ${specs.length - options.validators} miner wallets`,
      Effect.forEach(specs, (spec, i) =>
        Effect.map(createWallet(walletRoot, spec.name), (w) => ({ ...spec, ...w, ip: `127.0.0.${i + 2}` }) satisfies Neuron)
      )
    )
    yield* phase(
      "fund, register and stake",
      Effect.gen(function* () {
        // Different coldkeys sign, so the registrations can go in concurrently.
        yield* Effect.forEach(
          neurons,
          (n) => Effect.zipRight(net.fund(n.coldkey.ss58Address, 20_000n * TAO), net.registerNeuron(netuid, n.coldkey, n.hotkey)),
          { concurrency: "unbounded" }
        )
        for (const n of neurons.filter((x) => x.role === "validator")) yield* net.stake(netuid, n.coldkey, n.hotkey, 5_000)
        // Permits are handed out at the epoch; miners check the caller's permit.
        yield* net.nextEpoch(netuid)
      })
    )

    const common = (n: Neuron) => [
      "--netuid", String(netuid),
      "--subtensor.chain_endpoint", net.endpoint,
      "--wallet.path", walletRoot,
      "--wallet.name", n.wallet.name,
      "--wallet.hotkey", n.wallet.hotkey,
      "--axon.ip", n.ip,
      "--axon.port", String(freePort(n.ip)),
      "--api.ip", n.ip,
      "--api.port", String(freePort(n.ip)),
      "--neuron.data_dir", join(workDir, "neurons", n.name)
    ]
    const miners = neurons.filter((n) => n.role === "miner")
    const validators = neurons.filter((n) => n.role === "validator")
    const requestTarget = options.short ? 60 : 100
    const everyone = yield* phase(
      `start ${miners.length} miners and ${validators.length} validator${validators.length > 1 ? "s" : ""}, each its own process`,
      Effect.gen(function* () {
        // Stopped together at the end: one by one, their SIGTERM waits add up to seconds.
        const ps = yield* Effect.parallelFinalizers(Effect.forEach([...miners, ...validators], (n) =>
          n.role === "miner"
            ? spawnNeuron(
                n.name,
                "miner",
                n.random
                  ? [...common(n), "--scoring_method", "hf_model", "--demo.random_scores"]
                  : n.mturk
                  ? [...common(n), "--scoring_method", "aws_mturk", "--aws_mturk_environment", "sandbox"]
                  : n.llm === undefined
                    ? [...common(n), "--scoring_method", "hf_model", "--model_name", n.model!.dir]
                    : [...common(n), "--scoring_method", "llm_api", "--llm_provider", n.llm],
                logDir
              )
            : spawnNeuron(n.name, "validator", [
                ...common(n),
                "--neuron.step_seconds", "0.4",
                "--neuron.timeout", "5",
                "--neuron.deadline", "3",
                "--neuron.epoch_length", String(TEMPO + 1),
                "--neuron.moving_average_alpha", "0.02",
                "--evaluation.rate", "0.75",
                "--data.seed", seedData,
                "--evaluation.datasets", evaluationData
              ], logDir)
        ))
        yield* waitForAxons(net, netuid, neurons.map((n) => n.hotkey), ps)
        return ps
      })
    )

    // The chain only makes blocks when asked: a block every 400 ms keeps epochs (and Yuma) coming.
    const producer = yield* net.newBlocks(1).pipe(
      Effect.catchAll(() => Effect.void),
      Effect.repeat(Schedule.spaced("400 millis")),
      Effect.forkScoped
    )

    const stores = yield* Effect.forEach(validators, (n) =>
      Layer.build(ValidatorStoreSql.layer({ _tag: "sqlite", filename: join(workDir, "neurons", n.name, "dojo.sqlite") }))
    )
    const firstStore = stores[0]!
    const scored = Effect.map(Effect.provide(Effect.flatMap(DashboardReadModel, (s) => s.stats), firstStore), (s) => s.scored)
    const lastWeights = Effect.map(Effect.provide(Effect.flatMap(ScoreLedger, (s) => s.lastWeights), firstStore), Option.getOrUndefined)

    const weightsBlock = yield* phase(
      `let the validators query, score and set weights (${requestTarget} scored requests)`,
      Effect.gen(function* () {
        const t = Date.now()
        let reachedAt: number | undefined
        for (;;) {
          const [n, w, head] = yield* Effect.all([scored, lastWeights, net.chain.block])
          if (reachedAt === undefined && n >= requestTarget) reachedAt = head
          yield* Console.log(`    ${elapsed(t).padStart(7)}  block ${head}  scored requests ${n}  last weights ${w ? `block ${w.block}` : "none yet"}`)
          if (reachedAt !== undefined && w !== undefined && w.block > reachedAt) return w.block
          if (Date.now() - t > options.timeoutSeconds * 1000)
            return yield* Effect.fail(new Error(`scoring did not finish in ${options.timeoutSeconds} s; logs in ${logDir}`))
          yield* Effect.raceFirst(Effect.sleep("2 seconds"), Effect.raceAll(everyone.map((p) => p.exited)))
        }
      })
    )
    yield* Fiber.interrupt(producer)
    yield* phase("run Yuma consensus on the weights (next epoch)", net.nextEpoch(netuid))

    const metagraph = yield* net.chain.metagraph(netuid)
    const validatorUids = validators.map((v) => Option.getOrThrow(uidOf(metagraph, v.hotkey)))
    const onChain = yield* Effect.forEach(validatorUids, (uid) => net.chain.weightsOf(netuid, uid))
    const weightOf = (uid: number) => {
      const total = onChain.reduce((sum, ws) => sum + ws.reduce((a, [, w]) => a + w, 0), 0)
      const mine = onChain.reduce((sum, ws) => sum + (ws.find(([u]) => u === uid)?.[1] ?? 0), 0)
      return total === 0 ? 0 : mine / total
    }
    const [scores, counts] = yield* Effect.provide(
      Effect.all([Effect.flatMap(ScoreLedger, (s) => s.loadScores), Effect.flatMap(RequestLedger, (s) => s.accuracyCounts(0))]),
      firstStore
    )
    const rows: MinerRow[] = miners.map((m) => {
      const neuron = metagraph.neurons.find((x) => x.hotkey === m.hotkey)!
      return {
        uid: neuron.uid,
        name: m.name,
        method: m.random ? "random-scores(cheater)" : m.mturk ? "aws_mturk" : m.llm === undefined ? "hf_model" : "llm_api",
        accuracy: m.model?.accuracy ?? null,
        ...(m.random ? { cheater: true } : {}),
        evaluated: counts.get(m.hotkey) ?? { correct: 0, answered: 0 },
        score: scores.find((s) => s.hotkey === m.hotkey)?.score ?? 0,
        weight: weightOf(neuron.uid),
        incentive: neuron.incentive
      }
    })
    const cheated = cheaterShare(rows)
    // The new rule's target: a miner that does no work gets at most 5 % of the best miner's incentive.
    const ordered = incentiveFollowsAccuracy(rows) && cheated <= 0.05
    yield* Console.log(`\n${renderTable(rows)}\n`)
    yield* Console.log(`miner-random scores at random (a cheater): ${(100 * cheated).toFixed(1)} % of the best miner's incentive`)
    // What the miners themselves recorded: the validator's RankingResults reached them.
    const received = yield* Effect.forEach(miners, (m) =>
      Effect.provide(
        Effect.flatMap(MinerStore, (s) => s.recentResults(100_000)),
        MinerStoreSql.layer({ _tag: "sqlite", filename: join(workDir, "neurons", m.name, "dojo.sqlite") })
      ).pipe(Effect.map((results) => `${m.name} ${results.length}`))
    )
    yield* Console.log(`RankingResults received by miners: ${received.join(", ")}`)
    for (const v of validators) {
      const n = metagraph.neurons.find((x) => x.hotkey === v.hotkey)!
      yield* Console.log(`${v.name}: uid ${n.uid}, stake ${n.stake.toFixed(0)} TAO, dividends ${n.dividends.toFixed(3)}`)
    }
    yield* Console.log(
      ordered
        ? `\n✓ incentive follows accuracy: the subnet rewarded the better reward models, and not the random one (${elapsed(started)} in all)`
        : `\n✗ incentive does NOT follow accuracy, or the random miner earned more than 5 % of the best (logs in ${logDir})`
    )
    if (llm === undefined)
      yield* Console.log("  left out: an llm_api miner — set OPENAI_API_KEY or TOGETHER_API_KEY and the demo adds one")
    if (!mturk)
      yield* Console.log(
        "  left out: an aws_mturk miner — set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SNS_ARN_ID (sandbox) and the demo adds one; its human scores arrive after the demo"
      )

    if (options.keep) {
      yield* Console.log(`\nStill running (--keep). Chain ${net.endpoint}; logs in ${logDir}. Ctrl-C stops everything.`)
      const fiber = yield* Effect.fork(Effect.never)
      yield* Fiber.join(fiber)
    }
    return { rows, ordered, weightsBlock, workDir } satisfies DemoResult
  })
