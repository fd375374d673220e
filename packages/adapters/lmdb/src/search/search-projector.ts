/**
 * The search index projector. Its data and checkpoints live in an LMDB
 * environment of its own (`index-env.ts`). Small batches (single writes: read-your-writes
 * latency) are applied on the calling thread; large ones (ingest, rebuilds)
 * go to the index worker, a thread of its own, so that extraction and index
 * writes run beside request handling and store commits instead of between
 * them. Both run the same {@link SearchIndexWriter}.
 */

import type { SearchParameterRegistry } from '@fhirstream/core';
import type { Key } from 'lmdb';
import type { LmdbBackend } from '../lmdb-backend.js';
import type { LmdbProjector } from '../lmdb-projector.js';
import type { FullTextIndexes } from './full-text.js';
import type { IdKeysDb } from './id-keys.js';
import { generationCheckpoint, openSearchIndexEnv } from './index-env.js';
import { IndexWorkerClient } from './index-worker-client.js';
import { SEARCH_INDEX_PROJECTOR, type SearchIndexDb, SearchIndexWriter } from './index-writer.js';

export { HIGH_WATER_KEY, SEARCH_INDEX_PROJECTOR, type SearchIndexDb } from './index-writer.js';

/** Bump when the key layout changes: the runtime then rebuilds the index from seq 1. */
const LAYOUT_VERSION = 7;

/** Options of {@link searchIndexProjector}. */
export interface SearchIndexProjectorOptions {
  /**
   * Batches of at least this many events are applied by the index worker
   * thread (default 64), once it has started (the first such batch starts
   * it; until it is up they are applied here); `false` applies every batch
   * on the calling thread.
   */
  worker?: { minBatch?: number } | false;
}

/** The search index projector, with its worker thread to stop. */
export interface SearchIndexProjector extends LmdbProjector<unknown, Key> {
  /** The database of a generation (default: the active one) as an {@link IdKeysDb}: keys read as their resource id. */
  ids(generation?: number): IdKeysDb;
  /** Stop the index worker (after the runtime stopped). */
  close(): Promise<void>;
  /** The index worker: `off` (not configured or not started yet), `ready` (takes large batches). */
  readonly worker: 'off' | 'ready';
}

/**
 * The projector that feeds the search index, kept in its own LMDB
 * environment beside the store's (see `index-env.ts`).
 *
 * @example
 * ```ts
 * const projector = searchIndexProjector(backend, new SearchParameterRegistry());
 * await runtime.register(projector);
 * projector.db().getRange({ start: ['t', 'Patient', 'gender'], end: ['t', 'Patient', 'gender', '\u{10FFFF}'] });
 * await runtime.stop();
 * await projector.close();
 * ```
 */
export function searchIndexProjector(
  backend: LmdbBackend,
  registry: SearchParameterRegistry,
  fullText?: FullTextIndexes,
  options: SearchIndexProjectorOptions = {},
): SearchIndexProjector {
  const env = openSearchIndexEnv(backend.options.path, { owner: true });
  const writer = new SearchIndexWriter(env, registry, (type, id, vid) => backend.readVersion(type, id, vid));
  const worker = options.worker === false ? undefined : new IndexWorkerClient(backend.options, registry);
  const minBatch = (options.worker !== false && options.worker?.minBatch) || 64;
  /** This thread's handles are the writer's (the worker has its own). */
  const db = (generation = active): SearchIndexDb => writer.db(generation);
  const ids = (generation = active): IdKeysDb => writer.ids(generation);
  let active = 1;
  return {
    name: SEARCH_INDEX_PROJECTOR,
    version: LAYOUT_VERSION,
    db,
    ids,
    get activeGeneration() {
      return active;
    },
    async apply(batch, ctx) {
      const request = { generation: ctx.generation, lastSeq: ctx.lastSeq, events: batch };
      let written: Array<[string, string]>;
      if (worker && batch.length >= minBatch && worker.ready) {
        written = await worker.apply(request);
        // The worker committed: read from a fresh snapshot from now on.
        env.root.resetReadTxn();
      } else {
        // A first large batch starts the worker; batches go on here until it is up (no wait for it to load).
        if (worker && batch.length >= minBatch) worker.warm();
        written = await writer.apply(request);
      }
      fullText?.refresh(db(ctx.generation), ctx.generation, written);
      return { checkpointed: true };
    },
    async checkpoint(generation) {
      // No checkpoint: nothing of the generation is here (new, or the environment was wiped), start over.
      return env.checkpoints.get(generationCheckpoint(generation))?.seq ?? 0;
    },
    async reset(generation) {
      fullText?.drop(generation);
      await worker?.forget(generation);
      await env.checkpoints.remove(generationCheckpoint(generation));
      await db(generation).drop();
      writer.forget(generation);
    },
    activate(generation) {
      active = generation;
    },
    get worker() {
      return worker?.ready ? 'ready' : 'off';
    },
    async close() {
      await worker?.close();
      await env.close();
    },
  };
}
