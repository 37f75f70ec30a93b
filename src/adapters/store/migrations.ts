/**
 * Versioned schema migrations for both stores, in SQL that SQLite and PostgreSQL both accept: TEXT,
 * INTEGER (also 0/1 booleans), BIGINT, DOUBLE PRECISION (8-byte on both, so scores round-trip exactly),
 * JSON kept as TEXT. Times are DOUBLE PRECISION unix seconds. Each store keeps its own migrations table,
 * so a validator and a miner may share one PostgreSQL database. Append new migrations; never edit old ones.
 */
import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import type { StoreError } from "../../services/store-error.ts"
import { asStoreError } from "./columns.ts"

type Migration = Effect.Effect<void, SqlError, SqlClient.SqlClient>

/** Runs DDL statements one at a time (SQLite prepares only the first statement of a string). */
const ddl = (...statements: ReadonlyArray<string>): Migration =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
  )

/** The validator store's migrations, by `<id>_<name>`. */
export const validatorMigrations: Record<string, Migration> = {
  "1_validator_initial": ddl(
    `CREATE TABLE requests (
      request_id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      body TEXT NOT NULL,
      chosen_cid TEXT,
      rejected_cid TEXT,
      api_key_id TEXT,
      created_at DOUBLE PRECISION NOT NULL,
      deadline_at DOUBLE PRECISION NOT NULL,
      status TEXT NOT NULL,
      result TEXT,
      scored_at DOUBLE PRECISION
    )`,
    `CREATE INDEX requests_due ON requests (status, deadline_at)`,
    `CREATE INDEX requests_created ON requests (created_at)`,
    `CREATE TABLE responses (
      request_id TEXT NOT NULL REFERENCES requests (request_id),
      hotkey TEXT NOT NULL,
      position INTEGER NOT NULL,
      uid INTEGER NOT NULL,
      scoring_method TEXT,
      model_config TEXT,
      ranks TEXT NOT NULL,
      mturk_hit_id TEXT,
      human_verified INTEGER NOT NULL,
      source TEXT NOT NULL,
      received_at DOUBLE PRECISION NOT NULL,
      verified_at DOUBLE PRECISION,
      PRIMARY KEY (request_id, hotkey)
    )`,
    `CREATE TABLE scores (
      uid INTEGER PRIMARY KEY,
      hotkey TEXT NOT NULL,
      score DOUBLE PRECISION NOT NULL
    )`,
    `CREATE TABLE accuracy_outcomes (
      request_id TEXT NOT NULL,
      hotkey TEXT NOT NULL,
      correct INTEGER NOT NULL,
      recorded_at DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (request_id, hotkey)
    )`,
    `CREATE INDEX accuracy_outcomes_time ON accuracy_outcomes (recorded_at)`,
    `CREATE TABLE deliveries (
      request_id TEXT NOT NULL REFERENCES requests (request_id),
      hotkey TEXT NOT NULL,
      ip TEXT NOT NULL,
      port INTEGER NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at DOUBLE PRECISION NOT NULL,
      last_error TEXT,
      delivered_at DOUBLE PRECISION,
      PRIMARY KEY (request_id, hotkey)
    )`,
    `CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at)`,
    `CREATE TABLE weights (
      block BIGINT PRIMARY KEY,
      uids TEXT NOT NULL,
      weights TEXT NOT NULL,
      version_key BIGINT NOT NULL,
      recorded_at DOUBLE PRECISION NOT NULL
    )`,
    `CREATE TABLE score_snapshots (
      at DOUBLE PRECISION NOT NULL,
      uid INTEGER NOT NULL,
      hotkey TEXT NOT NULL,
      score DOUBLE PRECISION NOT NULL,
      weight DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (at, uid)
    )`,
    `CREATE TABLE api_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      key_hash TEXT NOT NULL UNIQUE,
      rate_limit_per_minute INTEGER NOT NULL,
      created_at DOUBLE PRECISION NOT NULL,
      revoked_at DOUBLE PRECISION
    )`
  ),
  // Bumped by every change to a pending request's responses (an MTurk merge), so a scoring computed
  // from an older read cannot commit over it.
  "2_request_revision": ddl(`ALTER TABLE requests ADD COLUMN revision INTEGER NOT NULL DEFAULT 0`)
}

/** The miner store's migrations, by `<id>_<name>`. */
export const minerMigrations: Record<string, Migration> = {
  "1_miner_initial": ddl(
    `CREATE TABLE miner_results (
      request_id TEXT NOT NULL,
      validator_hotkey TEXT NOT NULL,
      cid_to_consensus TEXT NOT NULL,
      my_score DOUBLE PRECISION,
      received_at DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (request_id, validator_hotkey)
    )`,
    `CREATE INDEX miner_results_time ON miner_results (received_at)`,
    `CREATE TABLE mturk_hits (
      hit_id TEXT PRIMARY KEY,
      request_id TEXT NOT NULL,
      validator_hotkey TEXT NOT NULL,
      validator_ip TEXT NOT NULL,
      validator_port INTEGER NOT NULL,
      cids TEXT NOT NULL,
      expected_assignments INTEGER NOT NULL,
      assignment_count INTEGER NOT NULL,
      created_at DOUBLE PRECISION NOT NULL,
      expires_at DOUBLE PRECISION NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at DOUBLE PRECISION NOT NULL,
      last_error TEXT,
      delivered_at DOUBLE PRECISION
    )`,
    `CREATE INDEX mturk_hits_due ON mturk_hits (status, next_attempt_at)`,
    `CREATE TABLE mturk_assignments (
      assignment_id TEXT PRIMARY KEY,
      hit_id TEXT NOT NULL REFERENCES mturk_hits (hit_id),
      worker_id TEXT NOT NULL,
      scores TEXT NOT NULL,
      submitted_at DOUBLE PRECISION NOT NULL
    )`,
    `CREATE INDEX mturk_assignments_hit ON mturk_assignments (hit_id, submitted_at)`
  )
}

const migrator = Migrator.make({})

/** Applies the migrations not yet recorded in `table` (one transaction); returns the ones it ran. */
export const runMigrations = (table: string, migrations: Record<string, Migration>) =>
  migrator({ loader: Migrator.fromRecord(migrations), table })

/**
 * The validator's schema, migrated before any of its stores is built. One layer value, so a build that
 * provides several stores over one `SqlClient` migrates once (layers are memoised by reference).
 */
export const validatorSchema: Layer.Layer<never, StoreError, SqlClient.SqlClient> = Layer.effectDiscard(
  runMigrations("dojo_validator_migrations", validatorMigrations).pipe(asStoreError("migrate"))
)
