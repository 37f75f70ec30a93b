/** The `requests` table's row as the request ledger and the dashboard read model both decode it. */
import { Schema } from "effect"
import { RankingRequest, RankingResult } from "../../domain/wire/protocol.ts"
import { NullableNumber, NumberColumn } from "./columns.ts"

/** One row of `requests`. */
export const RequestRow = Schema.Struct({
  request_id: Schema.String,
  kind: Schema.Literal("seed", "evaluation", "api"),
  body: Schema.parseJson(RankingRequest),
  chosen_cid: Schema.NullOr(Schema.String),
  rejected_cid: Schema.NullOr(Schema.String),
  api_key_id: Schema.NullOr(Schema.String),
  created_at: NumberColumn,
  deadline_at: NumberColumn,
  status: Schema.Literal("pending", "scored"),
  result: Schema.NullOr(Schema.parseJson(RankingResult)),
  scored_at: NullableNumber,
  revision: NumberColumn
})
export type RequestRow = typeof RequestRow.Type

/** The row's `result` field for a `StoredRequest` / `RecentRequest`: present once scored. */
export const storedResult = (row: RequestRow) =>
  row.result !== null && row.scored_at !== null ? { result: { ...row.result, scoredAt: row.scored_at } } : {}
