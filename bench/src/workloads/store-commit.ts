import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { UpdateOp } from '@fhirstream/core';
import { openLmdbStore } from '@fhirstream/lmdb';
import { open } from 'lmdb';
import { commitBundles, slidingWindow, updateOps } from '../data/commit-bundles.js';
import type { SyntheaBundle } from '../data/synthea.js';
import { fullGc } from '../harness/memory.js';
import { mbPerSecond, perSecond, timed } from '../harness/timing.js';
import type { Figure, Workload } from '../harness/types.js';

/** In-flight commits of the concurrent variant. */
const WINDOW = 4;

/**
 * `store.commit` (#2): every Synthea resource committed through
 * `openLmdbStore`, one commit per bundle, against raw lmdb putting the same
 * JSON (one transaction per bundle, `await db.flushed` after each, like the
 * store), sequentially and with {@link WINDOW} commits in flight; each side
 * run twice in ABBA order, best run kept.
 */
export const storeCommit: Workload = {
  name: 'store.commit',
  issue: '#2',
  description: 'all resources via openLmdbStore, one commit per bundle, vs raw lmdb puts of the same JSON',
  needs: ['synthea'],
  async run(ctx) {
    const data = ctx.synthea;
    const ops = data.bundles.map(updateOps); // built before timing; commit() serializes them
    const figures: Figure[] = [];
    for (const width of [1, WINDOW]) {
      const label = width === 1 ? 'sequential, 1 commit per bundle' : `${width} bundles in flight`;
      // ABBA order (raw, store, store, raw), best of each: fair when the machine's load drifts.
      const rawRuns: number[] = [];
      const storeRuns: number[] = [];
      for (const side of ['raw', 'store', 'store', 'raw'] as const) {
        const path = join(ctx.dir, `${side}-${width}-${rawRuns.length + storeRuns.length}`);
        fullGc();
        ctx.log(`${side === 'raw' ? 'raw lmdb' : 'store'}, ${label}…`);
        if (side === 'raw') rawRuns.push(await rawCommit(path, data.bundles, width));
        else storeRuns.push(await storeRun(path, ops, width, data.resourceCount));
        rmSync(path, { recursive: true, force: true });
      }
      const storeMs = Math.min(...storeRuns);
      const rawMs = Math.min(...rawRuns);
      ctx.log(
        `store ${storeRuns.map(Math.round).join(', ')} ms; raw ${rawRuns.map(Math.round).join(', ')} ms`,
      );
      const details = {
        resources: data.resourceCount,
        bundles: data.bundles.length,
        storeRunsMs: storeRuns.map(Math.round).join(', '),
        rawRunsMs: rawRuns.map(Math.round).join(', '),
      };
      figures.push(
        {
          name: `${label}: resources/s`,
          unit: 'resources/s',
          value: perSecond(data.resourceCount, storeMs),
          baseline: { name: 'raw lmdb', value: perSecond(data.resourceCount, rawMs) },
          target: { minRatio: 0.5 },
          details,
        },
        {
          name: `${label}: MB/s of resource JSON`,
          unit: 'MB/s',
          value: mbPerSecond(data.jsonBytes, storeMs),
          baseline: { name: 'raw lmdb', value: mbPerSecond(data.jsonBytes, rawMs) },
          target: { minRatio: 0.5 },
          details: { ...details, jsonBytes: data.jsonBytes },
        },
      );
    }
    return figures;
  },
};

/** Commit every bundle through a fresh `openLmdbStore`; returns the time of the commits. */
async function storeRun(path: string, ops: UpdateOp[][], width: number, expected: number): Promise<number> {
  const store = openLmdbStore({ path });
  try {
    const { ms } = await timed(() => commitBundles(store, ops, width));
    const head = await store.headSeq();
    if (head !== expected) throw new Error(`store head is ${head}, expected ${expected}`);
    return ms;
  } finally {
    await store.close();
  }
}

/**
 * The baseline: lmdb's `open()` with its defaults (overlappingSync), one
 * transaction per bundle putting `type/id` → `JSON.stringify(resource)`
 * bytes, then `await db.flushed` (the store's durability). Serializing is
 * timed, as the store's is.
 */
async function rawCommit(path: string, bundles: readonly SyntheaBundle[], width: number): Promise<number> {
  const db = open<Buffer, string>({ path, encoding: 'binary', compression: false });
  try {
    const { ms } = await timed(() =>
      slidingWindow(bundles, width, async (bundle) => {
        await db.transaction(() => {
          for (const r of bundle.resources) {
            db.put(`${r.resourceType}/${r.id}`, Buffer.from(JSON.stringify(r.resource)));
          }
        });
        await db.flushed;
      }),
    );
    const count = db.getKeysCount();
    const expected = bundles.reduce((n, b) => n + b.resources.length, 0);
    if (count !== expected) throw new Error(`raw lmdb holds ${count} keys, expected ${expected}`);
    return ms;
  } finally {
    await db.close();
  }
}
