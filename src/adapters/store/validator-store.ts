/**
 * The validator's four stores — request ledger, score ledger, API keys, dashboard read model — over one
 * `SqlClient`, so they share one database and one migration. Programs and tests provide them together.
 */
import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import type { ApiKeyStore } from "../../services/api-key-store.ts"
import type { DashboardReadModel } from "../../services/dashboard-read-model.ts"
import type { RequestLedger } from "../../services/request-ledger.ts"
import type { ScoreLedger } from "../../services/score-ledger.ts"
import type { StoreError } from "../../services/store-error.ts"
import * as ApiKeyStoreSql from "./api-key-store-sql.ts"
import * as DashboardReadModelSql from "./dashboard-read-model-sql.ts"
import * as RequestLedgerSql from "./request-ledger-sql.ts"
import * as ScoreLedgerSql from "./score-ledger-sql.ts"
import { memoryStore, SqlLive, type StoreConfig } from "./sql-client.ts"

/** Every store the validator keeps. */
export type ValidatorStores = RequestLedger | ScoreLedger | ApiKeyStore | DashboardReadModel

/** All four stores on the ambient `SqlClient` (the schema migrated once). */
export const layerSql: Layer.Layer<ValidatorStores, StoreError, SqlClient.SqlClient> = Layer.mergeAll(
  RequestLedgerSql.layer,
  ScoreLedgerSql.layer,
  ApiKeyStoreSql.layer,
  DashboardReadModelSql.layer
)

/** All four stores on the configured database (SQLite file or PostgreSQL). */
export const layer = (config: StoreConfig): Layer.Layer<ValidatorStores, StoreError> => layerSql.pipe(Layer.provide(SqlLive(config)))

/** All four stores on a fresh in-memory SQLite database, with its `SqlClient` (tests that seed through SQL). */
export const layerTest: Layer.Layer<ValidatorStores | SqlClient.SqlClient, StoreError> = layerSql.pipe(
  Layer.provideMerge(SqlLive(memoryStore))
)
