/**
 * Every program (wallet, api-keys, export-dataset, train-reward-model, miner, validator, localnet) run
 * for real with a bad command line, a missing/corrupt/truncated wallet, a wrong password, a corrupt
 * store, an unwritable folder, a dead chain endpoint or a port in use: each ends with ONE line on
 * stderr naming the problem and what to do, a non-zero exit, no stack trace, no ERROR log line, and
 * nothing changed on disk (every file byte-identical, nothing created).
 *
 * Tests run as root, where chmod does not make a folder unwritable: "unwritable" paths lie under a
 * regular file instead, and the read-only store is immutable (chattr +i).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { syntheticPairsJsonl } from "../../src/programs/demo/models.ts"
import { oneLineFailure, runProgram, treeDigest, type ProgramRun } from "../support/run-program.ts"

setDefaultTimeout(60_000)

const root = mkdtempSync(join(tmpdir(), "dojo-cli-errors-"))
const wallets = join(root, "wallets")
const blocker = join(root, "a-regular-file")
const unwritable = join(blocker, "sub")
const corruptStore = join(root, "corrupt.sqlite")
const seed = join(root, "seed.jsonl")
const missingStore = join(root, "no-such.sqlite")
/** A real store, made immutable (chattr +i: read-only even for root), in a folder made immutable too. */
const readOnlyDir = join(root, "read-only")
const readOnlyStore = join(readOnlyDir, "store.sqlite")
const chattr = (flag: "+i" | "-i") => Bun.spawnSync(["chattr", flag, readOnlyStore, readOnlyDir]).exitCode
const PASSWORD = "correct horse battery"
const DEAD = "ws://127.0.0.1:1"

const wallet = (name: string, hotkey = "h") => ["--wallet.path", wallets, "--wallet.name", name, "--wallet.hotkey", hotkey]
const validatorData = ["--data.seed", seed, "--evaluation.datasets", seed]
/** A validator that would start (a wallet, a data dir under root, a dead chain) but for the one flag a row adds or replaces. */
const validatorStart = (...args: ReadonlyArray<string>) => {
  const data = { "--data.seed": seed, "--evaluation.datasets": seed }
  const rest = args.filter((a, i) => !(a in data) && !(args[i - 1]! in data))
  const given = Object.entries(data).flatMap(([flag, value]) => [flag, args.includes(flag) ? args[args.indexOf(flag) + 1]! : value])
  return [...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--neuron.data_dir", join(root, "vstart"), ...given, ...rest]
}
const llm = { TOGETHER_API_KEY: "cli-errors-not-used" }

/** A port something listens on for the whole file. */
const busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })

interface Row {
  readonly name: string
  readonly program: string
  readonly args: ReadonlyArray<string>
  readonly env?: Record<string, string>
  readonly expect: RegExp
  /** A start-up usage error: exit 2 and nothing printed on stdout (found before anything was built or logged). */
  readonly usage?: true
}

const rows: ReadonlyArray<Row> = [
  // wallet
  { name: "wallet: unknown subcommand flag", program: "wallet", args: ["list", "--bogus"], expect: /unknown flag --bogus.*--help/ },
  { name: "wallet: bad choice", program: "wallet", args: ["new_hotkey", ...wallet("n"), "--n_words", "13"], expect: /--n_words "13": give one of 12, 15, 18, 21, 24/ },
  { name: "wallet: a flag given twice", program: "wallet", args: ["list", "--wallet.path", wallets, "--wallet.path", wallets], expect: /--wallet.path is given more than once/ },
  { name: "wallet: missing wallet", program: "wallet", args: ["sign", ...wallet("nobody"), "--message", "hi"], expect: /no coldkey at .*nobody.*regen_coldkey/ },
  { name: "wallet: wrong password", program: "wallet", args: ["sign", ...wallet("w"), "--message", "hi"], env: { BT_COLD_PW_W: "wrong-pw-Zq81x" }, expect: /password/i },
  { name: "wallet: no password given", program: "wallet", args: ["sign", ...wallet("w"), "--message", "hi"], expect: /BT_COLD_PW_W/ },
  { name: "wallet: truncated hotkey file", program: "wallet", args: ["sign", ...wallet("w", "trunc"), "--use-hotkey", "--message", "hi"], expect: /trunc/ },
  { name: "wallet: corrupt hotkey file", program: "wallet", args: ["sign", ...wallet("w", "corrupt"), "--use-hotkey", "--message", "hi"], expect: /corrupt/ },
  { name: "wallet: unwritable wallet path", program: "wallet", args: ["new_hotkey", "--wallet.path", unwritable, "--wallet.name", "x", "--wallet.hotkey", "h"], expect: /a-regular-file/ },
  { name: "wallet: both --mnemonic and --seed", program: "wallet", args: ["regen_hotkey", ...wallet("n"), "--seed", `0x${"11".repeat(32)}`, "--mnemonic", "not a real mnemonic"], expect: /give exactly one of --mnemonic or --seed/, usage: true },
  { name: "wallet: overwrite refused", program: "wallet", args: ["regen_hotkey", ...wallet("w"), "--seed", `0x${"11".repeat(32)}`], expect: /--overwrite/ },
  // api-keys
  { name: "api-keys: list on a store that does not exist", program: "api-keys", args: ["list", "--store.path", missingStore], expect: /no store at .*no-such\.sqlite/ },
  { name: "api-keys: bad number", program: "api-keys", args: ["create", "--name", "x", "--rate_limit", "abc", "--store.path", missingStore], expect: /--rate_limit "abc": give a whole number/ },
  { name: "api-keys: corrupt store", program: "api-keys", args: ["create", "--name", "x", "--store.path", corruptStore], expect: /corrupt\.sqlite/ },
  { name: "api-keys: read-only store", program: "api-keys", args: ["create", "--name", "x", "--store.path", readOnlyStore], expect: /store\.sqlite: it must be an SQLite database this user can read and write/ },
  { name: "api-keys: unwritable store folder", program: "api-keys", args: ["create", "--name", "x", "--store.path", join(unwritable, "s.sqlite")], expect: /a-regular-file/ },
  { name: "api-keys: both store flags", program: "api-keys", args: ["list", "--store.path", missingStore, "--store.url", "sqlite:x"], expect: /either --store.url or --store.path/ },
  // export-dataset
  { name: "export-dataset: a store that does not exist", program: "export-dataset", args: ["--out", join(root, "out1"), "--store.path", missingStore], expect: /no store at .*no-such\.sqlite/ },
  { name: "export-dataset: bad --format", program: "export-dataset", args: ["--out", join(root, "out2"), "--store.path", missingStore, "--format", "csv"], expect: /--format "csv"/ },
  { name: "export-dataset: corrupt store", program: "export-dataset", args: ["--out", join(root, "out3"), "--store.path", corruptStore], expect: /corrupt\.sqlite/ },
  // train-reward-model
  { name: "train-reward-model: not a number", program: "train-reward-model", args: ["--synthetic", "20", "--out", join(root, "m1"), "--epochs", "nan"], expect: /--epochs "nan": give a whole number/ },
  { name: "train-reward-model: missing --data file", program: "train-reward-model", args: ["--data", join(root, "none.jsonl"), "--out", join(root, "m2")], expect: /none\.jsonl/ },
  { name: "train-reward-model: unwritable --out", program: "train-reward-model", args: ["--synthetic", "20", "--epochs", "1", "--out", unwritable], expect: /a-regular-file/ },
  // miner
  { name: "miner: bad --scoring_method", program: "miner", args: ["--scoring_method", "bogus"], expect: /--scoring_method "bogus": give one of hf_model, llm_api, aws_mturk/ },
  { name: "miner: a flag given twice", program: "miner", args: ["--scoring_method", "llm_api", "--scoring_method", "llm_api"], expect: /--scoring_method is given more than once/ },
  { name: "miner: missing --scoring_method", program: "miner", args: ["--netuid", "1"], expect: /--scoring_method is required/ },
  { name: "miner: bad port", program: "miner", args: ["--scoring_method", "llm_api", "--axon.port", "99999"], expect: /--axon.port must be a port/ },
  { name: "miner: bad network", program: "miner", args: ["--scoring_method", "llm_api", "--subtensor.network", "nowhere"], expect: /unknown --subtensor.network "nowhere"/ },
  { name: "miner: missing wallet", program: "miner", args: ["--scoring_method", "llm_api", ...wallet("nobody"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:"], env: llm, expect: /nobody/ },
  { name: "miner: truncated hotkey file", program: "miner", args: ["--scoring_method", "llm_api", ...wallet("w", "trunc"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:"], env: llm, expect: /hotkeys\/trunc is a unrecognised keyfile.*regen/ },
  { name: "miner: corrupt store", program: "miner", args: ["--scoring_method", "llm_api", ...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", corruptStore, "--neuron.data_dir", join(root, "mdata")], env: llm, expect: /corrupt\.sqlite/ },
  { name: "miner: read-only store", program: "miner", args: ["--scoring_method", "llm_api", ...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", readOnlyStore], env: llm, expect: /store\.sqlite: it must be an SQLite database this user can read and write/ },
  { name: "miner: unwritable data dir", program: "miner", args: ["--scoring_method", "llm_api", ...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--neuron.data_dir", unwritable], env: llm, expect: /a-regular-file/ },
  { name: "miner: missing secret", program: "miner", args: ["--scoring_method", "llm_api", ...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:"], expect: /TOGETHER_API_KEY/ },
  // validator
  { name: "validator: not a number", program: "validator", args: ["--neuron.timeout", "nan"], expect: /--neuron.timeout "nan": give a number/, usage: true },
  { name: "validator: a flag given twice", program: "validator", args: ["--neuron.timeout", "5", "--neuron.timeout", "6"], expect: /--neuron.timeout is given more than once/, usage: true },
  { name: "validator: bad network", program: "validator", args: ["--subtensor.network", "nowhere"], expect: /unknown --subtensor.network "nowhere": use finney, test, local or a ws:\/\/ URL/, usage: true },
  // validator start-up usage errors: each a UsageError, found before the wallet, the store or the chain is touched
  { name: "validator: both store flags", program: "validator", args: validatorStart("--store.path", join(root, "v.sqlite"), "--store.url", "sqlite:x"), expect: /give either --store.url or --store.path, not both/, usage: true },
  { name: "validator: no evaluation source", program: "validator", args: validatorStart("--evaluation.datasets", " , "), expect: /--evaluation.datasets names no source/, usage: true },
  { name: "validator: a dataset name that does not parse", program: "validator", args: validatorStart("--data.seed", "hf:a b"), expect: /--data.seed: "hf:a b" is not a dataset name/, usage: true },
  { name: "validator: a dataset without a row mapping", program: "validator", args: validatorStart("--evaluation.datasets", `${seed},hf:someone/unknown`), expect: /--evaluation.datasets: no row mapping for someone\/unknown: add \?mapping=/, usage: true },
  { name: "validator: epoch length 0", program: "validator", args: validatorStart("--neuron.epoch_length", "0"), expect: /--neuron.epoch_length must be at least 1/, usage: true },
  { name: "validator: mechanism id out of range", program: "validator", args: validatorStart("--neuron.mechanism_id", "256"), expect: /--neuron.mechanism_id must be 0-255/, usage: true },
  { name: "validator: negative version key", program: "validator", args: validatorStart("--neuron.version_key", "-1"), expect: /--neuron.version_key must be at least 0/, usage: true },
  { name: "validator: negative vpermit limit", program: "validator", args: validatorStart("--neuron.vpermit_tao_limit", "-5"), expect: /--neuron.vpermit_tao_limit must be a non-negative number/, usage: true },
  { name: "validator: datasets server not an http URL", program: "validator", args: validatorStart("--hf.datasets_server_url", "ftp://example.org"), expect: /--hf.datasets_server_url must be an http\(s\) URL/, usage: true },
  { name: "validator: MTurk endpoint not an http URL", program: "validator", args: validatorStart("--mturk.endpoint_url", "mturk.local"), expect: /--mturk.endpoint_url must be an http\(s\) URL/, usage: true },
  { name: "validator: missing wallet", program: "validator", args: [...wallet("nobody"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:", ...validatorData], expect: /nobody/ },
  { name: "validator: corrupt hotkey file", program: "validator", args: [...wallet("w", "corrupt"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:", ...validatorData], expect: /hotkeys\/corrupt is a unrecognised keyfile.*regen/ },
  { name: "validator: corrupt store", program: "validator", args: [...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", corruptStore, "--neuron.data_dir", join(root, "vdata"), ...validatorData], expect: /corrupt\.sqlite/ },
  { name: "validator: read-only store", program: "validator", args: [...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", readOnlyStore, ...validatorData], expect: /store\.sqlite: it must be an SQLite database this user can read and write/ },
  { name: "validator: unwritable data dir", program: "validator", args: [...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--neuron.data_dir", unwritable, ...validatorData], expect: /a-regular-file/ },
  // localnet
  { name: "localnet: bad --spec", program: "localnet", args: ["--spec", "999"], expect: /--spec "999": give one of 185, 218/ },
  { name: "localnet: not a number", program: "localnet", args: ["--port", "x"], expect: /--port "x": give a whole number/ },
  { name: "localnet: port in use", program: "localnet", args: ["--port", String(busy.port), "--no_subnet"], expect: new RegExp(`port ${busy.port} is in use: pass another --port`) }
]

/** Everything every run printed, for the secrets check at the end. */
const printed: string[] = []
/** Secrets given to the runs (passwords, seeds, tokens): none may be printed. */
const secrets = [PASSWORD, "wrong-pw-Zq81x", "21".repeat(32), "22".repeat(32), "11".repeat(32), llm.TOGETHER_API_KEY, "cli-errors-hf-token"]

/** The dead-endpoint runs take the chain client's 30 s time limit: started at once, checked in their tests. */
const slow: Record<string, Promise<ProgramRun>> = {}
let before = ""

beforeAll(async () => {
  mkdirSync(wallets, { recursive: true })
  writeFileSync(blocker, "not a folder\n")
  writeFileSync(corruptStore, "this is not an SQLite database, just text long enough to look like a file header.\n".repeat(20))
  writeFileSync(seed, syntheticPairsJsonl(10, 7))
  const made = await Promise.all([
    runProgram("wallet", ["regen_coldkey", ...wallet("w"), "--seed", `0x${"21".repeat(32)}`], { env: { BT_COLD_PW_W: PASSWORD } }),
    runProgram("wallet", ["regen_hotkey", ...wallet("w"), "--seed", `0x${"22".repeat(32)}`]),
    runProgram("wallet", ["regen_hotkey", ...wallet("w", "trunc"), "--seed", `0x${"23".repeat(32)}`]),
    runProgram("wallet", ["regen_hotkey", ...wallet("w", "corrupt"), "--seed", `0x${"24".repeat(32)}`])
  ])
  for (const m of made) expect(m.code).toBe(0)
  mkdirSync(readOnlyDir)
  expect((await runProgram("api-keys", ["create", "--name", "ro", "--store.path", readOnlyStore])).code).toBe(0)
  for (const f of readdirSync(readOnlyDir)) if (f !== "store.sqlite") rmSync(join(readOnlyDir, f))
  // Root ignores file modes; the immutable attribute it does not.
  expect(chattr("+i")).toBe(0)
  const hotkeys = join(wallets, "w", "hotkeys")
  const full = readFileSync(join(hotkeys, "trunc"))
  writeFileSync(join(hotkeys, "trunc"), full.subarray(0, Math.floor(full.length / 2)))
  writeFileSync(join(hotkeys, "corrupt"), Buffer.from("\x00\xffnot json at all {{{", "binary"))
  before = treeDigest(root)
  slow.miner = runProgram("miner", ["--scoring_method", "llm_api", ...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:"], { env: llm })
  slow.validator = runProgram("validator", [...wallet("w"), "--subtensor.chain_endpoint", DEAD, "--store.path", ":memory:", ...validatorData])
}, 60_000)

afterAll(() => {
  busy.stop(true)
  chattr("-i")
  rmSync(root, { recursive: true, force: true })
})

describe("every program's errors: one line, non-zero exit, no stack trace, nothing changed on disk", () => {
  for (const row of rows)
    test(row.name, async () => {
      const run = await runProgram(row.program, row.args, { env: { HF_TOKEN: "cli-errors-hf-token", ...row.env } })
      printed.push(run.stdout, run.stderr)
      expect(oneLineFailure(run, row.program, row.expect)).toBeUndefined()
      if (row.usage) expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: "" })
      expect(treeDigest(root)).toBe(before)
    })

  for (const program of ["miner", "validator"] as const)
    test(`${program}: an unreachable chain endpoint`, async () => {
      const run = await slow[program]!
      printed.push(run.stdout, run.stderr)
      expect(oneLineFailure(run, program, /ws:\/\/127\.0\.0\.1:1/)).toBeUndefined()
      expect(treeDigest(root)).toBe(before)
    }, 60_000)

  test("no password, seed or token given to any run above was printed", () => {
    expect(printed.length).toBe(2 * (rows.length + 2))
    for (const secret of secrets) expect(printed.filter((text) => text.includes(secret))).toEqual([])
  })
})
