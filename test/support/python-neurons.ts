/**
 * Python Dojo neurons for the interop suites: SDK Axons (`test/python/dojo_axons.py`) and SDK Dendrite
 * calls (`test/python/dojo_dendrite.py`), each with a wallet bittensor-wallet created.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type PythonEnv, type PythonPeer, peerResult, runPython, spawnPython } from "./python-env.ts"

/** A bittensor-wallet wallet on disk (created by the Python side when missing, with no password). */
export interface PyWallet {
  readonly path: string
  readonly name: string
  readonly hotkey: string
}

/** What a Python miner/validator axon does (see dojo_axons.py). */
export type PyBehaviour = "score" | "contrarian" | "slow" | "raise" | "blacklist" | "strict" | "skewed" | "mturk"

export interface PyAxonSpec {
  readonly name: string
  readonly wallet: PyWallet
  readonly ip: string
  readonly port: number
  readonly behaviour: PyBehaviour
  /** Hotkeys the blacklist lets through; null lets anyone through. */
  readonly allow: ReadonlyArray<string> | null
  readonly priority?: Readonly<Record<string, number>>
  readonly sleep?: number
  readonly hit_id?: string
  /** Also serve RankingResult (as the Python Dojo miner's forward_result). */
  readonly results?: boolean
}

/** A served Python axon. */
export interface PyAxon {
  readonly name: string
  readonly hotkey: string
  readonly coldkey: string
  readonly ip: string
  readonly port: number
}

/** One synapse a Python forward saw. */
export interface PyRecord {
  readonly axon: string
  readonly synapse: "RankingRequest" | "RankingResult" | "MTurkResponse"
  readonly dendrite: string
  readonly body: Record<string, any>
}

/** Starts SDK axons in one Python process; `records()` reads what their forwards saw so far. */
export const startPythonAxons = async (
  env: PythonEnv,
  dir: string,
  axons: ReadonlyArray<PyAxonSpec>
): Promise<{ readonly peer: PythonPeer<ReadonlyArray<PyAxon>>; readonly axons: ReadonlyArray<PyAxon>; readonly records: () => ReadonlyArray<PyRecord> }> => {
  const tag = axons.map((a) => a.name).join("-").slice(0, 60)
  const record = join(dir, `py-axons-${tag}.jsonl`)
  const config = join(dir, `py-axons-${tag}.json`)
  writeFileSync(config, JSON.stringify({ record, axons }))
  const peer = await spawnPython<ReadonlyArray<PyAxon>>(env, ["dojo_axons.py", config], { readyMs: 60_000 })
  const records = () =>
    existsSync(record)
      ? readFileSync(record, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as PyRecord)
      : []
  return { peer, axons: peer.ready, records }
}

/** One call the SDK Dendrite makes. */
export interface PyCall {
  readonly synapse: "RankingRequest" | "RankingResult" | "MTurkResponse"
  readonly fields: Record<string, unknown>
  /** Declare these `required_hash_fields` on the class (the fuller hash). */
  readonly hash_fields?: ReadonlyArray<string>
  readonly target: { readonly ip: string; readonly port: number; readonly hotkey: string }
  readonly timeout?: number
}

/** What the SDK Dendrite reported for a call. */
export interface PyCallResult {
  readonly is_success: boolean
  readonly status_code: number | null
  readonly status_message: string | null
  readonly body_hash: string
  readonly body: Record<string, any>
}

/** Runs the calls with the SDK Dendrite of `wallet` (created when missing); returns its addresses and the results. */
export const pythonDendrite = async (
  env: PythonEnv,
  wallet: PyWallet,
  calls: ReadonlyArray<PyCall>,
  options: { readonly createOnly?: boolean; readonly externalIp?: string } = {}
): Promise<{ readonly hotkey: string; readonly coldkey: string; readonly results: ReadonlyArray<PyCallResult> }> => {
  const job = { wallet, calls, create_only: options.createOnly ?? false, external_ip: options.externalIp ?? "127.0.0.1" }
  const out = await runPython(env, ["dojo_dendrite.py"], { stdin: JSON.stringify(job) })
  return peerResult(out, "dojo_dendrite.py")
}
