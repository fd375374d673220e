import type { ResourceStore, UpdateOp } from '@fhirstream/core';
import { openLmdbStore } from '@fhirstream/lmdb';
import type { Fixtures } from '../harness/fixtures.js';
import type { SyntheaBundle, SyntheaData } from './synthea.js';

/**
 * The store ops of a bundle: one `update` per resource, under its fixed id,
 * so that references between resources need no resolving.
 *
 * @example
 * ```ts
 * await store.commit(updateOps(bundle));
 * ```
 */
export function updateOps(bundle: SyntheaBundle): UpdateOp[] {
  return bundle.resources.map((r) => ({ op: 'update', resource: r.resource }));
}

/**
 * Run `task` over `items` with at most `width` in flight (a sliding window:
 * the next starts as soon as one finishes). `width` 1 is sequential.
 *
 * @example
 * ```ts
 * await slidingWindow(bundles, 4, (ops) => store.commit(ops));
 * ```
 */
export async function slidingWindow<T>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
}

/**
 * Commit every bundle into `store`, one commit per bundle, `width` at a time.
 *
 * @example
 * ```ts
 * await commitBundles(store, data.bundles.map(updateOps), 1);
 * ```
 */
export async function commitBundles(store: ResourceStore, ops: readonly UpdateOp[][], width: number) {
  await slidingWindow(ops, width, (o) => store.commit(o));
}

/**
 * A store path holding all of the loaded Synthea data, built once per run
 * (untimed) for the workloads that read a populated store.
 *
 * @example
 * ```ts
 * const path = await syntheaStore(ctx.fixtures, ctx.synthea);
 * const store = openLmdbStore({ path });
 * ```
 */
export function syntheaStore(fixtures: Fixtures, data: SyntheaData): Promise<string> {
  return fixtures.get('synthea-store', async (dir) => {
    const store = openLmdbStore({ path: dir });
    try {
      await commitBundles(store, data.bundles.map(updateOps), 4);
    } finally {
      await store.close();
    }
    return dir;
  });
}
