/**
 * The search index's own LMDB environment, beside the store's: its writes
 * and their syncs never hold the store's write lock, so commits are not
 * queued behind index transactions. Each generation's checkpoint is saved in
 * the same transaction as its index writes, so the index resumes exactly
 * where its data is, whatever the store's environment holds.
 *
 * Its commits are not fsynced: the index is derived from the change log,
 * which is. A crashed process loses nothing (committed pages are in the OS
 * page cache); after a machine restart that may have torn it, the
 * environment is deleted at open and rebuilt from the log (see
 * `unsynced-marker.ts`). Skipping the sync lets the OS write each dirty page
 * once for many commits instead of once per commit: index-current ingest is
 * about a quarter faster.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { claimUnsynced, releaseUnsynced } from './unsynced-marker.js';

/** The search index environment of a store. */
export interface SearchIndexEnv {
  root: RootDatabase;
  /** `g<generation>` → `{ seq }`: where each generation's data is. */
  checkpoints: Database<{ seq: number }, string>;
  /** True when open deleted a possibly torn environment (a machine restart since its last unsynced writes). */
  wiped: boolean;
  /** Close it; the owner then syncs it to disk and clears its marker. */
  close(): Promise<void>;
}

/** Options of {@link openSearchIndexEnv}. */
export interface SearchIndexEnvOptions {
  /**
   * The process's first opener (the search projector on the main thread):
   * checks the marker of unsynced writes at open, and syncs and clears it on
   * close. Other openers in the same process (the index worker) leave it.
   */
  owner?: boolean;
}

/** The directory of the search index environment of the store at `storePath`. */
export const searchIndexPath = (storePath: string) => join(storePath, 'search-index');

/** The checkpoint key of a generation in {@link SearchIndexEnv.checkpoints}. */
export const generationCheckpoint = (generation: number) => `g${generation}`;

/**
 * Open (or create) the search index environment of the store at `storePath`.
 *
 * @example
 * ```ts
 * const env = openSearchIndexEnv('./.data', { owner: true });
 * env.checkpoints.get(generationCheckpoint(1)); // { seq: 42 }
 * await env.close();
 * ```
 */
export function openSearchIndexEnv(storePath: string, options: SearchIndexEnvOptions = {}): SearchIndexEnv {
  const path = searchIndexPath(storePath);
  let wiped = false;
  if (options.owner) {
    mkdirSync(path, { recursive: true });
    wiped = claimUnsynced(path);
  }
  // A writable map: LMDB writes dirty pages in place instead of allocating and copying each one, which
  // halves the cost of the index's scattered inserts. No sync per commit (see above).
  const root = open({ path, compression: false, useWritemap: true, noSync: true });
  return {
    root,
    checkpoints: root.openDB({ name: 'checkpoints' }),
    wiped,
    async close() {
      await root.close();
      if (options.owner) releaseUnsynced(path);
    },
  };
}
