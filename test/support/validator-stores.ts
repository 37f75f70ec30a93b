/**
 * Test conveniences over the validator's four stores: all of them as one object (for seeding and
 * inspecting), and a writer of the EMA vector for setup — production writes it only while scoring.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { ApiKeyStore, type ApiKeyStoreShape } from "../../src/services/api-key-store.ts"
import { DashboardReadModel, type DashboardReadModelShape } from "../../src/services/dashboard-read-model.ts"
import { RequestLedger, type RequestLedgerShape } from "../../src/services/request-ledger.ts"
import { ScoreLedger, type ScoreEntry, type ScoreLedgerShape } from "../../src/services/score-ledger.ts"

/** Every operation of the four stores. */
export type AllStores = RequestLedgerShape & ScoreLedgerShape & ApiKeyStoreShape & DashboardReadModelShape

/** The four stores in context, as one object. */
export const allStores = Effect.map(
  Effect.all([RequestLedger, ScoreLedger, ApiKeyStore, DashboardReadModel]),
  ([ledger, scores, keys, readModel]): AllStores => ({ ...ledger, ...scores, ...keys, ...readModel })
)

/** Replaces the stored EMA vector in one transaction, straight in SQL (test setup only). */
export const writeScores = (scores: ReadonlyArray<ScoreEntry>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`DELETE FROM scores`
        if (scores.length > 0)
          yield* sql`INSERT INTO scores ${sql.insert(scores.map((s) => ({ uid: s.uid, hotkey: s.hotkey, score: s.score })))}`
      })
    )
  )
