import type { AppliedWithCheckpoint, ChangeEvent, Projector, ProjectorContext } from '@fhirstream/core';
import type { Database, Key } from 'lmdb';
import type { LmdbBackend } from './lmdb-backend.js';

/** Writes into one generation's database; runs inside the LMDB write transaction, so it must be synchronous. */
export type LmdbWriter<V, K extends Key> = (db: Database<V, K>) => void;

/** A projection kept in the store's own LMDB environment. */
export interface LmdbProjectionDefinition<V, K extends Key = Key> {
  name: string;
  version: number;
  handles?(event: ChangeEvent): boolean;
  /**
   * Turn a batch into a writer. Do the heavy work here (parsing, extraction):
   * this runs outside the write lock. The returned writer runs inside the
   * transaction that also saves the checkpoint.
   */
  project(
    batch: ChangeEvent[],
    db: Database<V, K>,
    ctx: ProjectorContext,
  ): LmdbWriter<V, K> | Promise<LmdbWriter<V, K>>;
  /** Options of the generation databases (e.g. `{ dupSort: true }`, `{ encoding: 'binary' }`). */
  dbOptions?: Record<string, unknown>;
}

/** A projector whose data lives in LMDB, with the database of the serving generation at hand. */
export interface LmdbProjector<V, K extends Key = Key> extends Projector {
  /** The database of `generation` (default: the active one). */
  db(generation?: number): Database<V, K>;
  readonly activeGeneration: number;
}

/**
 * Define a projector whose writes and checkpoint are committed in ONE LMDB
 * transaction (the store's capability `transactionalCheckpoints`): after a
 * crash it resumes exactly after the last batch it applied, so even a
 * non-idempotent projection is never applied twice.
 *
 * @example
 * ```ts
 * const counts = lmdbProjector<number, string>(backend, {
 *   name: 'count-by-type', version: 1,
 *   project: (batch, db) => (tx) => {
 *     for (const e of batch) tx.put(e.resourceType, (tx.get(e.resourceType) ?? 0) + 1);
 *   },
 * });
 * await runtime.register(counts);
 * counts.db().get('Patient');
 * ```
 */
export function lmdbProjector<V, K extends Key = Key>(
  backend: LmdbBackend,
  definition: LmdbProjectionDefinition<V, K>,
): LmdbProjector<V, K> {
  const { root } = backend.dbs;
  const checkpoints = backend.checkpoints.db;
  const dbs = new Map<number, Database<V, K>>();
  let active = 1;
  const db = (generation = active): Database<V, K> => {
    let found = dbs.get(generation);
    if (!found) {
      found = root.openDB<V, K>({
        name: `projection:${definition.name}:g${generation}`,
        ...definition.dbOptions,
      });
      dbs.set(generation, found);
    }
    return found;
  };
  return {
    name: definition.name,
    version: definition.version,
    ...(definition.handles ? { handles: definition.handles } : {}),
    db,
    get activeGeneration() {
      return active;
    },
    async apply(batch, ctx): Promise<AppliedWithCheckpoint> {
      const target = db(ctx.generation);
      const write = await definition.project(batch, target, ctx);
      await root.transaction(() => {
        write(target);
        checkpoints.put(ctx.checkpointKey, { seq: ctx.lastSeq });
      });
      return { checkpointed: true };
    },
    async reset(generation) {
      await db(generation).drop();
      dbs.delete(generation);
    },
    activate(generation) {
      active = generation;
    },
  };
}
