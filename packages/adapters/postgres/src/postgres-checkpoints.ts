import type { Checkpoint, CheckpointStore } from '@fhirstream/core';
import type { Pool, PoolClient } from 'pg';
import type { StoreTables } from './sql-names.js';

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

/**
 * Durable checkpoints in the `checkpoints` table (name → jsonb), listed in
 * name order (`COLLATE "C"`: byte order, like LMDB's keys).
 *
 * @example
 * ```ts
 * const checkpoints = new PostgresCheckpoints(pool, storeTables('fhirstream'));
 * await checkpoints.set('search', { seq: 42 });
 * // inside a projector's own transaction:
 * await checkpoints.set('search', { seq: 43 }, client);
 * ```
 */
export class PostgresCheckpoints implements CheckpointStore {
  constructor(
    private readonly pool: Pool,
    private readonly tables: StoreTables,
  ) {}

  async get(name: string): Promise<Checkpoint | undefined> {
    const { rows } = await this.pool.query<{ checkpoint: Checkpoint }>(
      `SELECT checkpoint FROM ${this.tables.checkpoints} WHERE name = $1`,
      [name],
    );
    return rows[0]?.checkpoint;
  }

  /** Save a checkpoint; pass `client` to save it inside that client's transaction. */
  async set(name: string, checkpoint: Checkpoint, client: Queryable = this.pool): Promise<void> {
    await client.query(
      `INSERT INTO ${this.tables.checkpoints} (name, checkpoint) VALUES ($1, $2::jsonb)
       ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint`,
      [name, JSON.stringify(checkpoint)],
    );
  }

  async delete(name: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.tables.checkpoints} WHERE name = $1`, [name]);
  }

  async list(prefix = ''): Promise<Array<[string, Checkpoint]>> {
    const { rows } = await this.pool.query<{ name: string; checkpoint: Checkpoint }>(
      `SELECT name, checkpoint FROM ${this.tables.checkpoints}
        WHERE starts_with(name, $1) ORDER BY name`,
      [prefix],
    );
    return rows.map((r) => [r.name, r.checkpoint]);
  }
}
