/** `ScoreLedger` over `@effect/sql` (SQLite or PostgreSQL): the EMA vector, weights set and score snapshots. */
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Schema } from "effect"
import {
  ScoreLedger,
  type ScoreSnapshotRow,
  type WeightsRecord
} from "../../services/score-ledger.ts"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError, batches, decodeRows, encodeJson, NumberColumn } from "./columns.ts"
import { validatorSchema } from "./migrations.ts"
import { memoryStore, SqlLive } from "./sql-client.ts"

const ScoreRow = Schema.Struct({ uid: NumberColumn, hotkey: Schema.String, score: NumberColumn })
const UidList = Schema.parseJson(Schema.Array(Schema.Number))
const WeightsRow = Schema.Struct({
  block: NumberColumn,
  uids: UidList,
  weights: UidList,
  version_key: NumberColumn,
  recorded_at: NumberColumn
})

const encodeUids = encodeJson(Schema.Array(Schema.Number))

/** Builds the score ledger on the ambient `SqlClient` (its schema already migrated: see `layer`). */
export const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const loadScores = sql`SELECT uid, hotkey, score FROM scores ORDER BY uid`.pipe(
    Effect.flatMap(decodeRows(ScoreRow)),
    Effect.withSpan("ScoreLedger.loadScores"),
    asStoreError("loadScores")
  )

  const recordWeights = Effect.fn("ScoreLedger.recordWeights")(
    function* (input: WeightsRecord) {
      const uids = yield* encodeUids(input.uids)
      const weights = yield* encodeUids(input.weights)
      yield* sql`INSERT INTO weights ${sql.insert({
        block: input.block,
        uids,
        weights,
        version_key: input.versionKey,
        recorded_at: input.at
      })} ON CONFLICT (block) DO UPDATE SET uids = excluded.uids, weights = excluded.weights,
        version_key = excluded.version_key, recorded_at = excluded.recorded_at`
    },
    asStoreError("recordWeights")
  )

  const lastWeights = sql`SELECT * FROM weights ORDER BY recorded_at DESC, block DESC LIMIT 1`.pipe(
    Effect.flatMap(decodeRows(WeightsRow)),
    Effect.map((rows) =>
      Option.map(
        Option.fromNullable(rows[0]),
        (row): WeightsRecord => ({
          block: row.block,
          uids: row.uids,
          weights: row.weights,
          versionKey: row.version_key,
          at: row.recorded_at
        })
      )
    ),
    Effect.withSpan("ScoreLedger.lastWeights"),
    asStoreError("lastWeights")
  )

  const recordScoreSnapshot = Effect.fn("ScoreLedger.recordScoreSnapshot")(
    (at: number, rows: ReadonlyArray<ScoreSnapshotRow>) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`DELETE FROM score_snapshots WHERE at = ${at}`
          const values = rows.map((r) => ({ at, uid: r.uid, hotkey: r.hotkey, score: r.score, weight: r.weight }))
          for (const batch of batches(values, 5)) yield* sql`INSERT INTO score_snapshots ${sql.insert(batch)}`
        })
      ),
    asStoreError("recordScoreSnapshot")
  )

  return ScoreLedger.of({ loadScores, recordWeights, lastWeights, recordScoreSnapshot })
})

/** `ScoreLedger` on the ambient `SqlClient`, migrating the validator's schema first. */
export const layer: Layer.Layer<ScoreLedger, StoreError, SqlClient.SqlClient> = Layer.effect(ScoreLedger, make).pipe(
  Layer.provide(validatorSchema)
)

/** `ScoreLedger` on a fresh in-memory SQLite database (tests). */
export const layerTest: Layer.Layer<ScoreLedger, StoreError> = layer.pipe(Layer.provide(SqlLive(memoryStore)))
