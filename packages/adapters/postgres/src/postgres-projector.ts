import type { AppliedWithCheckpoint, ChangeEvent, Projector, ProjectorContext } from '@fhirstream/core';
import type { PoolClient } from 'pg';
import type { PostgresBackend } from './postgres-backend.js';
import { quoteIdent } from './sql-names.js';

/** Writes one batch; runs inside the transaction that also saves the checkpoint. */
export type PostgresWriter = (client: PoolClient) => Promise<void>;

/** A projection kept in the store's own PostgreSQL database. */
export interface PostgresProjectionDefinition {
  name: string;
  version: number;
  handles?(event: ChangeEvent): boolean;
  /**
   * Create the tables of `generation` when missing (idempotent, e.g. `CREATE
   * TABLE IF NOT EXISTS`). Runs in the transaction of the generation's first
   * batch in this process. Name tables with {@link PostgresProjector.table}.
   */
  create?(client: PoolClient, generation: number): Promise<void>;
  /** Drop the data of `generation` (before a rebuild, and once it was replaced). */
  drop?(client: PoolClient, generation: number): Promise<void>;
  /**
   * Turn a batch into a writer. Do the heavy work here (parsing, extraction):
   * this runs outside the transaction. The returned writer runs inside the
   * transaction that also saves the checkpoint.
   */
  project(batch: ChangeEvent[], ctx: ProjectorContext): PostgresWriter | Promise<PostgresWriter>;
}

/** A projector whose data lives in PostgreSQL, next to the store. */
export interface PostgresProjector extends Projector {
  /** The quoted, schema-qualified name of a table of `generation` (default: the active one). */
  table(suffix: string, generation?: number): string;
  readonly activeGeneration: number;
}

/**
 * Define a projector whose writes and checkpoint are committed in ONE
 * PostgreSQL transaction (the store's capability `transactionalCheckpoints`):
 * after a crash it resumes exactly after the last batch it applied, so even a
 * non-idempotent projection is never applied twice. The counterpart of
 * `lmdbProjector`.
 *
 * @example
 * ```ts
 * const counts = postgresProjector(backend, {
 *   name: 'count_by_type', version: 1,
 *   create: (c, g) => c.query(`CREATE TABLE IF NOT EXISTS ${counts.table('n', g)} (type text PRIMARY KEY, n int)`).then(() => {}),
 *   drop: (c, g) => c.query(`DROP TABLE IF EXISTS ${counts.table('n', g)}`).then(() => {}),
 *   project: (batch, ctx) => async (c) => {
 *     for (const e of batch) await c.query(
 *       `INSERT INTO ${counts.table('n', ctx.generation)} VALUES ($1, 1)
 *        ON CONFLICT (type) DO UPDATE SET n = EXCLUDED.n + 1`, [e.resourceType]);
 *   },
 * });
 * await runtime.register(counts);
 * ```
 */
export function postgresProjector(
  backend: PostgresBackend,
  definition: PostgresProjectionDefinition,
): PostgresProjector {
  const created = new Set<number>();
  let active = 1;
  return {
    name: definition.name,
    version: definition.version,
    ...(definition.handles ? { handles: definition.handles } : {}),
    table(suffix, generation = active) {
      return `${quoteIdent(backend.schema)}.${quoteIdent(`p_${definition.name}_g${generation}_${suffix}`)}`;
    },
    get activeGeneration() {
      return active;
    },
    async apply(batch, ctx): Promise<AppliedWithCheckpoint> {
      const write = await definition.project(batch, ctx);
      await backend.transaction(async (client) => {
        if (!created.has(ctx.generation)) await definition.create?.(client, ctx.generation);
        await write(client);
        await backend.checkpoints.set(ctx.checkpointKey, { seq: ctx.lastSeq }, client);
      });
      created.add(ctx.generation);
      return { checkpointed: true };
    },
    async reset(generation) {
      created.delete(generation);
      if (definition.drop) await backend.transaction((client) => definition.drop!(client, generation));
    },
    activate(generation) {
      active = generation;
    },
  };
}
