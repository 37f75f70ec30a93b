/**
 * `src/programs/miner.ts` as an operator runs it: its flags, clear startup errors with a non-zero exit,
 * and a whole run against the real subtensor runtime (spec 185 under chopsticks): registration check,
 * axon served on chain, a validator's RankingRequest answered by the local ONNX scorer, and a clean stop
 * on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { Effect, Exit, ManagedRuntime, Option, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DendriteLive from "../../src/adapters/dendrite/dendrite.ts"
import { devWallet, startLocalnet, type Localnet } from "../../src/adapters/chain/localnet.ts"
import { trainingFacts } from "../../src/adapters/data/reward-model-export.ts"
import { keypairFromSeed } from "../../src/adapters/wallet/sr25519.ts"
import { regenHotkey } from "../../src/adapters/wallet/wallet-fs.ts"
import { RankingRequestSynapse } from "../../src/domain/wire/synapses.ts"
import { defaultTrainingConfig, trainRewardModel } from "../../src/domain/reward-model/training.ts"
import { generateSyntheticPreferences } from "../../src/domain/data/synthetic-preferences.ts"
import { freePort } from "../../src/programs/demo/processes.ts"
import { signCallback } from "../../src/domain/mturk/callback-auth.ts"
import { CALLBACK_PATH } from "../../src/adapters/http/human-feedback-callback.ts"
import { Dendrite } from "../../src/services/dendrite.ts"
import { oneLineFailure, runProgram } from "../support/run-program.ts"
import { startMTurkStub } from "../support/stubs/mturk.ts"
import { rankingRequest } from "../pipeline/miner/miner-fixture.ts"
import { removeTempDirs, writeModelDir } from "../support/reward-model-dir.ts"
import { repoRoot } from "../support/shared.ts"
import { Netuid } from "../../src/domain/chain/ids.ts"

setDefaultTimeout(120_000)

const root = mkdtempSync(join(tmpdir(), "dojo-miner-cli-"))
const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BT_") && !k.startsWith("AWS_") && !k.startsWith("DOJO_")))

/** A running miner process whose output is collected as it comes. */
const spawnMiner = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const proc = Bun.spawn(["bun", "run", "src/programs/miner.ts", ...args], {
    cwd: repoRoot,
    env: { ...base, NO_COLOR: "1", BT_WALLET_PATH: join(root, "wallets"), DOJO_DATA_DIR: join(root, "data"), ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe"
  })
  let stdout = ""
  let stderr = ""
  const drain = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }))
  }
  const done = Promise.all([drain(proc.stdout, (s) => (stdout += s)), drain(proc.stderr, (s) => (stderr += s))])
  return {
    proc,
    output: () => ({ stdout, stderr }),
    /** Waits for a line containing `text` on stdout; fails early if the process exits. */
    waitFor: async (text: string, ms = 60_000) => {
      const until = Date.now() + ms
      while (!stdout.includes(text)) {
        if (proc.exitCode !== null) throw new Error(`miner exited (${proc.exitCode}) before "${text}":\n${stdout}\n${stderr}`)
        if (Date.now() > until) throw new Error(`no "${text}" within ${ms} ms:\n${stdout}\n${stderr}`)
        await Bun.sleep(50)
      }
    },
    finished: async () => {
      const code = await proc.exited
      await done
      return { code, stdout, stderr }
    }
  }
}

let deadEndpoint: ReturnType<typeof spawnMiner>

const minerSeed = `0x${"42".repeat(32)}`
const unregisteredSeed = `0x${"43".repeat(32)}`
const minerHotkey = keypairFromSeed(Uint8Array.from({ length: 32 }, () => 0x42))
const mturkSeed = `0x${"44".repeat(32)}`
const mturkHotkey = keypairFromSeed(Uint8Array.from({ length: 32 }, () => 0x44))
const validator = devWallet("Charlie")

let scope: Scope.CloseableScope
let net: Localnet
let netuid = Netuid.make(0)
let modelDir = ""
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

beforeAll(async () => {
  for (const [hotkey, seed] of [
    ["h", minerSeed],
    ["unreg", unregisteredSeed],
    ["mturk", mturkSeed]
  ] as const)
    await run(regenHotkey({ path: join(root, "wallets"), name: "m", hotkey }, { _tag: "Seed", seed: Redacted.make(seed) }, { usePassword: false }))
  // A dead endpoint takes the chain client's full 30 s time limit: start it now, look at it last.
  deadEndpoint = spawnMiner(["--subtensor.chain_endpoint", "ws://127.0.0.1:1", "--wallet.name", "m", "--wallet.hotkey", "h", "--scoring_method", "llm_api"], {
    TOGETHER_API_KEY: "not-used"
  })
  const trained = trainRewardModel(generateSyntheticPreferences({ count: 200, seed: 9 }), { ...defaultTrainingConfig, epochs: 2, maxLength: 48 })
  modelDir = writeModelDir({ model: trained.model, tokenizer: trained.tokenizer, training: trainingFacts(trained) })

  scope = await run(Scope.make())
  net = await run(Scope.extend(startLocalnet({ spec: 185 }), scope))
  netuid = await run(net.createSubnet())
  await run(net.registerNeuron(netuid, validator.coldkey, validator.hotkey.ss58Address))
  await run(net.registerNeuron(netuid, devWallet("Bob").coldkey, minerHotkey.ss58Address))
  await run(net.registerNeuron(netuid, devWallet("Dave").coldkey, mturkHotkey.ss58Address))
  await run(net.stake(netuid, validator.coldkey, validator.hotkey.ss58Address, 100))
  await run(net.nextEpoch(netuid))
}, 180_000)

afterAll(async () => {
  deadEndpoint?.proc.kill()
  if (scope !== undefined) await run(Scope.close(scope, Exit.void))
  removeTempDirs()
  rmSync(root, { recursive: true, force: true })
}, 60_000)

describe("miner program", () => {
  test("--help lists every flag", async () => {
    const { code, stdout } = await spawnMiner(["--help"]).finished()
    expect(code).toBe(0)
    for (const flag of [
      "--netuid",
      "--subtensor.network",
      "--subtensor.chain_endpoint",
      "--wallet.name",
      "--wallet.hotkey",
      "--wallet.path",
      "--axon.port",
      "--axon.ip",
      "--axon.external_ip",
      "--scoring_method",
      "--model_name",
      "--hf.endpoint_url",
      "--llm_provider",
      "--aws_mturk_environment",
      "--mturk.reward",
      "--mturk.max_assignments",
      "--blacklist.min_stake",
      "--api.port",
      "--api.ip",
      "--store.url",
      "--store.path",
      "--logging.debug",
      "--logging.json"
    ])
      expect(stdout).toContain(flag)
  })

  test("a command line that cannot run: one clear line, non-zero exit", async () => {
    const network = await spawnMiner(["--subtensor.network", "nowhere", "--scoring_method", "hf_model"]).finished()
    expect(network.code).not.toBe(0)
    expect(network.stderr).toContain('unknown --subtensor.network "nowhere"')
    const mturk = await spawnMiner(["--subtensor.network", "local", "--scoring_method", "aws_mturk"]).finished()
    expect(mturk.code).not.toBe(0)
    expect(mturk.stderr).toContain("needs --aws_mturk_environment")
    const secrets = await spawnMiner(["--subtensor.network", "local", "--scoring_method", "aws_mturk", "--aws_mturk_environment", "sandbox"], {
      AWS_SECRET_ACCESS_KEY: "s3cr3t-value"
    }).finished()
    expect(secrets.code).not.toBe(0)
    expect(secrets.stderr).toContain("environment variable AWS_ACCESS_KEY_ID is not set")
    expect(secrets.stderr + secrets.stdout).not.toContain("s3cr3t-value")
  })

  test("an unregistered hotkey: says so and how to register, exits non-zero", async () => {
    const r = await spawnMiner([
      "--subtensor.chain_endpoint",
      net.endpoint,
      "--netuid",
      String(netuid),
      "--wallet.name",
      "m",
      "--wallet.hotkey",
      "unreg",
      "--scoring_method",
      "hf_model",
      "--model_name",
      modelDir,
      "--axon.ip",
      "127.0.0.2",
      "--axon.port",
      "0"
    ]).finished()
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`is not registered on subnet ${netuid} at ${net.endpoint}`)
    expect(r.stderr).toContain(`btcli subnets register --netuid ${netuid} --wallet.name m --wallet.hotkey unreg`)
  })

  test("registered: serves its axon on chain, answers a validator with ranks, stops cleanly on SIGTERM", async () => {
    const miner = spawnMiner([
      "--subtensor.chain_endpoint",
      net.endpoint,
      "--netuid",
      String(netuid),
      "--wallet.name",
      "m",
      "--wallet.hotkey",
      "h",
      "--scoring_method",
      "hf_model",
      "--model_name",
      modelDir,
      "--axon.ip",
      "127.0.0.2",
      "--axon.port",
      "0",
      "--blacklist.min_stake",
      "50",
      "--logging.json"
    ])
    await miner.waitFor('"miner ready"')
    const ready = miner
      .output()
      .stdout.split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l))
      .find((l) => l.message === "miner ready")
    expect(ready.annotations.scoring_method).toBe("hf_model")

    const metagraph = await run(net.chain.metagraph(netuid))
    const me = metagraph.neurons.find((n) => n.hotkey === minerHotkey.ss58Address)!
    expect(me.axon.ip).toBe("127.0.0.2")
    expect(me.axon.port).toBeGreaterThan(0)
    expect(ready.annotations.axon).toBe(`127.0.0.2:${me.axon.port}`)

    const dendrite = ManagedRuntime.make(DendriteLive.layer({ hotkey: validator.hotkey }))
    try {
      const request = rankingRequest({ texts: ["Glad to help: preheat the oven, then knead.", "no idea"] })
      const r = await dendrite.runPromise(
        Effect.flatMap(Dendrite, (d) => d.call({ ip: me.axon.ip, port: me.axon.port, hotkey: minerHotkey.ss58Address }, RankingRequestSynapse, request))
      )
      expect(r.statusCode).toBe(200)
      const body = Option.getOrThrow(r.body)
      expect(body.ranks.map((x) => x.cid)).toEqual(["cid-0", "cid-1"])
      for (const rank of body.ranks) expect(rank.score >= 0 && rank.score <= 1).toBe(true)
      expect(body.scoring_method).toBe("hf_model")
    } finally {
      await dendrite.dispose()
    }

    miner.proc.kill("SIGTERM")
    const { code, stdout } = await miner.finished()
    expect(code).toBe(0)
    expect(stdout).toContain("miner stopping")
    expect(await fetch(`http://127.0.0.2:${me.axon.port}/RankingRequest`, { method: "POST" }).then(() => "open", () => "closed")).toBe("closed")
  })

  test("aws_mturk: the human-feedback callback answers on --api.port while the miner runs, and closes with it", async () => {
    const mturk = startMTurkStub({ accessKeyIds: ["AKIDCLI"] })
    const apiPort = freePort("127.0.0.2")
    const miner = spawnMiner(
      [
        "--subtensor.chain_endpoint", net.endpoint,
        "--netuid", String(netuid),
        "--wallet.name", "m",
        "--wallet.hotkey", "mturk",
        "--scoring_method", "aws_mturk",
        "--aws_mturk_environment", "sandbox",
        "--mturk.endpoint_url", mturk.endpoint,
        "--axon.ip", "127.0.0.2",
        "--axon.port", "0",
        "--api.ip", "127.0.0.2",
        "--api.port", String(apiPort)
      ],
      {
        AWS_ACCESS_KEY_ID: "AKIDCLI",
        AWS_SECRET_ACCESS_KEY: "cli-secret",
        AWS_SNS_ARN_ID: "arn:aws:sns:us-east-1:123456789012:dojo",
        DOJO_CALLBACK_SECRET: "cli-callback-secret"
      }
    )
    try {
      await miner.waitFor("miner ready")
      const url = `http://127.0.0.2:${apiPort}${CALLBACK_PATH}`
      // Unsigned: the real handler answers 401 (connection refused before the fix: the server's scope had closed).
      const unsigned = await fetch(url, { method: "POST", body: "{}" })
      expect(unsigned.status).toBe(401)
      const body = JSON.stringify({ HITId: "NOPE", assignments: [] })
      const signed = await fetch(url, { method: "POST", body, headers: signCallback(Redacted.make("cli-callback-secret"), body, Date.now() / 1000) })
      expect(signed.status).toBe(404)
      expect(((await signed.json()) as { error: string }).error).toContain("unknown HIT NOPE")
      // Still there a moment later (the delivery loop and server live as long as the run).
      await Bun.sleep(1500)
      expect((await fetch(url, { method: "POST", body: "{}" })).status).toBe(401)
    } finally {
      miner.proc.kill("SIGTERM")
      await miner.finished()
      await mturk.stop()
    }
    expect(await fetch(`http://127.0.0.2:${apiPort}${CALLBACK_PATH}`, { method: "POST" }).then(() => "open", () => "closed")).toBe("closed")
  })

  test("a port in use (axon, or the aws_mturk callback API): one line naming the port, non-zero exit, no stack trace", async () => {
    const busy = Bun.listen({ hostname: "127.0.0.2", port: 0, socket: { data() {} } })
    try {
      const common = ["--subtensor.chain_endpoint", net.endpoint, "--netuid", String(netuid), "--wallet.name", "m", "--axon.ip", "127.0.0.2"]
      const axon = await runProgram("miner", [...common, "--wallet.hotkey", "h", "--scoring_method", "llm_api", "--axon.port", String(busy.port)], {
        env: { BT_WALLET_PATH: join(root, "wallets"), TOGETHER_API_KEY: "not-used", DOJO_DATA_DIR: join(root, "busy-data") }
      })
      expect(oneLineFailure(axon, "miner", new RegExp(`${busy.port}`))).toBeUndefined()
      const api = await runProgram(
        "miner",
        [...common, "--wallet.hotkey", "mturk", "--scoring_method", "aws_mturk", "--aws_mturk_environment", "sandbox", "--axon.port", "0", "--api.ip", "127.0.0.2", "--api.port", String(busy.port)],
        {
          env: {
            BT_WALLET_PATH: join(root, "wallets"),
            DOJO_DATA_DIR: join(root, "busy-data"),
            AWS_ACCESS_KEY_ID: "AKIDCLI",
            AWS_SECRET_ACCESS_KEY: "cli-secret",
            AWS_SNS_ARN_ID: "arn:aws:sns:us-east-1:123456789012:dojo",
            DOJO_CALLBACK_SECRET: "cli-callback-secret"
          }
        }
      )
      expect(oneLineFailure(api, "miner", new RegExp(`${busy.port}`))).toBeUndefined()
    } finally {
      busy.stop(true)
    }
  })

  test("a dead chain endpoint: a time-out naming the endpoint, non-zero exit", async () => {
    const r = await deadEndpoint.finished()
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("timed out")
    expect(r.stderr).toContain("ws://127.0.0.1:1")
  })
})
