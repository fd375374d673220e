import type { Pool } from 'pg';
import { type StoreTables, storeTables } from './sql-names.js';

/**
 * The schema of the store, one migration per version, applied in order and
 * recorded in `schema_migrations`. Never edit a released migration: append one.
 *
 * - `log` is the change log AND the version table: one row per version, keyed
 *   by `seq`, with the body bytes exactly as served (`bytea`, NULL for a
 *   delete). `(resource_type, id, version_id)` serves vread and instance
 *   history; `(resource_type, seq)` serves type history.
 * - `heads` is the current version of each resource (what the commit planner reads).
 * - `log_head` is a single row: the last seq and its lastUpdated. Committers lock
 *   it (`FOR UPDATE`) to serialize, which is what makes seq order commit order.
 * - `checkpoints` are named consumer positions as jsonb.
 */
const MIGRATIONS: ReadonlyArray<(t: StoreTables) => string> = [
  (t) => `
    CREATE TABLE ${t.log} (
      seq bigint PRIMARY KEY,
      tx_id text NOT NULL,
      action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
      resource_type text NOT NULL,
      id text NOT NULL,
      version_id integer NOT NULL,
      last_updated text NOT NULL,
      body bytea,
      UNIQUE (resource_type, id, version_id)
    );
    CREATE INDEX ON ${t.log} (resource_type, seq);
    CREATE TABLE ${t.heads} (
      resource_type text NOT NULL,
      id text NOT NULL,
      version_id integer NOT NULL,
      deleted boolean NOT NULL,
      seq bigint NOT NULL,
      last_updated text NOT NULL,
      PRIMARY KEY (resource_type, id)
    );
    CREATE TABLE ${t.logHead} (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      seq bigint NOT NULL,
      last_updated text
    );
    INSERT INTO ${t.logHead} (seq, last_updated) VALUES (0, NULL);
    CREATE TABLE ${t.checkpoints} (
      name text COLLATE "C" PRIMARY KEY,
      checkpoint jsonb NOT NULL
    );`,
];

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Create the schema and its tables, or bring them up to date: idempotent, and
 * safe when several processes open the same schema at once (they serialize on
 * an advisory lock, and every migration is transactional).
 *
 * @example
 * ```ts
 * await migrate(pool, 'fhirstream');
 * ```
 */
export async function migrate(pool: Pool, schema: string): Promise<void> {
  const t = storeTables(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fhirstream:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${t.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${t.migrations}`,
    );
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`Schema ${schema} is at version ${current}, newer than this code (${SCHEMA_VERSION})`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      await client.query(MIGRATIONS[version - 1]!(t));
      await client.query(`INSERT INTO ${t.migrations} (version) VALUES ($1)`, [version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
