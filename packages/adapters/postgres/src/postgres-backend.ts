import type { CommitPlan, PlanInput, ResourceKey, StoreBackend, StoreCapabilities } from '@fhirstream/core';
import pg, { type Pool, type PoolClient } from 'pg';
import { CommitListener } from './commit-listener.js';
import { migrate } from './migrations.js';
import { PostgresCheckpoints } from './postgres-checkpoints.js';
import { commitLocked } from './postgres-commit.js';
import { postgresHistory } from './postgres-history.js';
import { commitChannel, type StoreTables, storeTables } from './sql-names.js';
import { parseVersionId, toStoredVersion, VERSION_COLUMNS, type VersionRow } from './version-rows.js';

/** Options of {@link openPostgresBackend}: give a `pool` (yours to end) or a `connectionString`. */
export interface PostgresBackendOptions {
  /** A node-postgres pool; the backend does not end it on close. */
  pool?: Pool;
  /** Used to create a pool when `pool` is not given (ended on close). */
  connectionString?: string;
  /** Size of the pool created from `connectionString` (default 10). */
  maxConnections?: number;
  /** The schema holding the store's tables, created when missing (default `fhirstream`). */
  schema?: string;
  /** The LISTEN/NOTIFY channel of commits (default `<schema>_commits`). */
  channel?: string;
}

/** The PostgreSQL backend, with its pool and transactions for co-located projectors. */
export interface PostgresBackend extends StoreBackend {
  readonly pool: Pool;
  readonly schema: string;
  /** Quoted, schema-qualified table names. */
  readonly tables: StoreTables;
  readonly checkpoints: PostgresCheckpoints;
  /**
   * Run `fn` in one transaction on one client of the pool: COMMIT when it
   * resolves, ROLLBACK when it throws.
   */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
}

const CAPABILITIES: StoreCapabilities = {
  name: 'postgres',
  durable: true,
  multiProcess: true,
  transactionalCheckpoints: true,
};

/**
 * Open (or create) the store in a PostgreSQL schema: current heads, versions
 * with their change log, and checkpoints, each commit in ONE transaction, with
 * seq gap-free and in commit order (see `commitLocked`), and every commit
 * announced with NOTIFY so followers in other processes wake up.
 *
 * @example
 * ```ts
 * import { createStore } from '@fhirstream/core';
 * import { openPostgresBackend } from '@fhirstream/postgres';
 * const backend = await openPostgresBackend({ connectionString: process.env.DATABASE_URL });
 * const store = createStore(backend);
 * ```
 */
export async function openPostgresBackend(options: PostgresBackendOptions): Promise<PostgresBackend> {
  const schema = options.schema ?? 'fhirstream';
  const ownsPool = !options.pool;
  const pool =
    options.pool ??
    new pg.Pool({
      ...(options.connectionString !== undefined ? { connectionString: options.connectionString } : {}),
      max: options.maxConnections ?? 10,
    });
  // an idle client that loses its connection is dropped by the pool; without a listener it would crash the process
  if (ownsPool) pool.on('error', () => {});
  const t = storeTables(schema);
  const channel = options.channel ?? commitChannel(schema);
  try {
    await migrate(pool, schema);
  } catch (error) {
    if (ownsPool) await pool.end();
    throw error;
  }
  const checkpoints = new PostgresCheckpoints(pool, t);
  const headSeq = async () => {
    const { rows } = await pool.query<{ seq: string }>(`SELECT seq FROM ${t.logHead}`);
    return Number(rows[0]!.seq);
  };
  const listener = new CommitListener(pool, channel, headSeq);
  let closed = false;

  const readOne = async (sql: string, params: unknown[]) => {
    const { rows } = await pool.query<VersionRow>(sql, params);
    return rows[0] ? toStoredVersion(rows[0]) : undefined;
  };

  return {
    capabilities: CAPABILITIES,
    pool,
    schema,
    tables: t,
    checkpoints,

    commit: (keys: readonly ResourceKey[], plan: (input: PlanInput) => CommitPlan) =>
      commitLocked(pool, t, channel, keys, plan),

    read: (type, id) =>
      readOne(
        `SELECT ${VERSION_COLUMNS} FROM ${t.log}
          WHERE seq = (SELECT seq FROM ${t.heads} WHERE resource_type = $1 AND id = $2)`,
        [type, id],
      ),

    async readVersion(type, id, versionId) {
      const vid = parseVersionId(versionId);
      if (vid === undefined) return undefined;
      return readOne(
        `SELECT ${VERSION_COLUMNS} FROM ${t.log} WHERE resource_type = $1 AND id = $2 AND version_id = $3`,
        [type, id, vid],
      );
    },

    history: (query) => postgresHistory(pool, t, query),

    async readChanges(fromSeq, limit) {
      const { rows } = await pool.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM ${t.log} WHERE seq >= $1 ORDER BY seq LIMIT $2`,
        [String(fromSeq), limit],
      );
      return rows.map(toStoredVersion);
    },

    headSeq,

    watch: (onCommit) => listener.subscribe(onCommit),

    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        const rolledBack = await client.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        client.release(rolledBack ? undefined : (error as Error));
        throw error;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      if (ownsPool) await pool.end();
    },
  };
}
