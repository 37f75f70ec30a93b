/**
 * Turning what @polkadot/api reports into `Chain` errors: runtime dispatch errors decoded from the
 * metadata (names differ between runtime versions, so each maps to one `DispatchKind`), and transaction
 * pool refusals (JSON-RPC 1010/1011).
 */
import type { ApiPromise } from "@polkadot/api"
import type { DispatchError } from "@polkadot/types/interfaces"
import { ChainDispatchError, ChainTxRejected, type DispatchKind } from "../../services/chain.ts"

/** Runtime error names (spec 185, spec 218 and later runtimes) → their meaning. */
const KINDS: Readonly<Record<string, DispatchKind>> = {
  NotRegistered: "NotRegistered",
  HotKeyNotRegisteredInSubNet: "NotRegistered",
  HotKeyNotRegisteredInNetwork: "NotRegistered",
  HotKeyAccountNotExists: "NotRegistered",
  AlreadyRegistered: "AlreadyRegistered",
  HotKeyAlreadyRegisteredInSubNet: "AlreadyRegistered",
  NetworkDoesNotExist: "NetworkDoesNotExist",
  SubNetworkDoesNotExist: "NetworkDoesNotExist",
  SubnetNotExists: "NetworkDoesNotExist",
  SubnetDoesNotExist: "NetworkDoesNotExist",
  SettingWeightsTooFast: "SettingWeightsTooFast",
  CommittingWeightsTooFast: "CommittingWeightsTooFast",
  IncorrectCommitRevealVersion: "IncorrectCommitRevealVersion",
  TooManyUnrevealedCommits: "TooManyUnrevealedCommits",
  MechanismDoesNotExist: "MechanismDoesNotExist",
  NoValidatorPermit: "NoValidatorPermit",
  NeuronNoValidatorPermit: "NoValidatorPermit",
  WeightVecNotEqualSize: "WeightVecNotEqualSize",
  InputLengthsUnequal: "WeightVecNotEqualSize",
  DuplicateUids: "DuplicateUids",
  InvalidUid: "InvalidUid",
  UidVecContainInvalidOne: "InvalidUid",
  TooManyUids: "TooManyUids",
  UidsLengthExceedUidsInSubNet: "TooManyUids",
  WeightVecLengthIsLow: "NotSettingEnoughWeights",
  NotSettingEnoughWeights: "NotSettingEnoughWeights",
  MaxWeightExceeded: "MaxWeightExceeded",
  IncorrectNetworkVersionKey: "IncorrectNetworkVersionKey",
  IncorrectWeightVersionKey: "IncorrectNetworkVersionKey",
  CommitRevealEnabled: "CommitRevealEnabled",
  CommitRevealDisabled: "CommitRevealDisabled",
  InvalidRevealTempo: "RevealTooEarly",
  RevealTooEarly: "RevealTooEarly",
  ExpiredWeightCommit: "ExpiredWeightCommit",
  InvalidReveal: "InvalidReveal",
  InvalidRevealCommitHashNotMatch: "InvalidReveal",
  NoCommitFound: "NoCommitFound",
  NoWeightsCommitFound: "NoCommitFound",
  InvalidIpAddress: "InvalidIpAddress",
  InvalidIpType: "InvalidIpType",
  InvalidPort: "InvalidPort",
  ServingRateLimitExceeded: "ServingRateLimitExceeded",
  NotEnoughBalance: "NotEnoughBalance",
  NotEnoughBalanceToStake: "NotEnoughBalance",
  BalanceWithdrawalError: "NotEnoughBalance",
  InsufficientBalance: "NotEnoughBalance",
  TooManyRegistrationsThisBlock: "TooManyRegistrations",
  TooManyRegistrationsThisInterval: "TooManyRegistrations",
  NetworkTxRateLimitExceeded: "NetworkRateLimitExceeded",
  BadOrigin: "BadOrigin",
  RequireSudo: "BadOrigin"
}

/** The meaning of a runtime error name. */
export const dispatchKindOf = (name: string): DispatchKind => KINDS[name] ?? "Other"

/** Decodes a runtime `DispatchError` through the metadata. */
export const decodeDispatchError = (api: ApiPromise, operation: string, error: DispatchError): ChainDispatchError => {
  if (error.isModule) {
    try {
      const meta = api.registry.findMetaError(error.asModule)
      return new ChainDispatchError({
        operation,
        pallet: meta.section.charAt(0).toUpperCase() + meta.section.slice(1),
        name: meta.name,
        docs: meta.docs.join(" ").trim(),
        kind: dispatchKindOf(meta.name)
      })
    } catch {
      // Unknown to this metadata: fall through to the raw form.
    }
  }
  const name = error.isBadOrigin ? "BadOrigin" : error.type
  return new ChainDispatchError({ operation, pallet: "System", name, docs: error.toString(), kind: dispatchKindOf(name) })
}

/** A pool refusal from a thrown RPC error (`1010: Invalid Transaction: …`). */
export const poolRejection = (operation: string, cause: unknown): ChainTxRejected => {
  const text = cause instanceof Error ? cause.message : String(cause)
  const match = /^(\d{4}):\s*(.*)$/s.exec(text)
  return new ChainTxRejected({
    operation,
    code: match ? Number(match[1]) : undefined,
    reason: (match ? match[2] ?? text : text).trim()
  })
}

/** True when an RPC failure came from the connection, not from the chain. */
export const isConnectionError = (cause: unknown): boolean => {
  const text = cause instanceof Error ? cause.message : String(cause)
  return /disconnected|not connected|WebSocket|ECONNREFUSED|socket|closed/i.test(text)
}
