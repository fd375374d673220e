/**
 * The search index's own LMDB environment, beside the store's: its writes
 * and their syncs never hold the store's write lock, so commits are not
 * queued behind index transactions. Each generation's checkpoint is saved in
 * the same transaction as its index writes, so the index resumes exactly
 * where its data is, whatever the store's environment holds.
 */
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';

/** The search index environment of a store. */
export interface SearchIndexEnv {
  root: RootDatabase;
  /** `g<generation>` → `{ seq }`: where each generation's data is. */
  checkpoints: Database<{ seq: number }, string>;
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
 * const env = openSearchIndexEnv('./.data');
 * env.checkpoints.get(generationCheckpoint(1)); // { seq: 42 }
 * ```
 */
export function openSearchIndexEnv(storePath: string): SearchIndexEnv {
  // A writable map: LMDB writes dirty pages in place instead of allocating and copying each one, which
  // halves the cost of the index's scattered inserts. Commits still sync, so a crash loses nothing committed.
  const root = open({ path: searchIndexPath(storePath), compression: false, useWritemap: true });
  return { root, checkpoints: root.openDB({ name: 'checkpoints' }) };
}
