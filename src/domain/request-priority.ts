/** Which waiting RankingRequest the miner serves first: the oldest (smallest `epoch_timestamp`). */
import type { RankingRequest } from "./wire/protocol.ts"

/** The axon serves higher priorities first, so an older request gets a higher number. */
export const requestPriority = (request: RankingRequest): number => -request.epoch_timestamp
