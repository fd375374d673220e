import {
  type ChangeEvent,
  createProjectorRuntime,
  createStore,
  type ResourceStore,
  StoredVersion,
} from '@fhirstream/core';
import { type LmdbBackend, openLmdbBackend } from '@fhirstream/lmdb';
import { syntheaStore } from '../data/commit-bundles.js';
import { fullGc } from '../harness/memory.js';
import { medianOf, perSecond, timed } from '../harness/timing.js';
import type { Figure, Workload } from '../harness/types.js';

/** Events per read, and the projector runtime's batch size. */
const BATCH_SIZE = 1000;
/** Each measurement is the median of this many runs. */
const RUNS = 3;

/**
 * `changes.replay` (#2): the whole change log of a store holding all of
 * Synthea, replayed into a no-op projector through the projector runtime,
 * and read with `store.readChanges`, next to raw lmdb `getRange` over the
 * same log entries; then a projector that parses every resource, next to
 * `JSON.parse` of the same bytes.
 */
export const changesReplay: Workload = {
  name: 'changes.replay',
  issue: '#2',
  description: `change log replay (batches of ${BATCH_SIZE}) vs raw lmdb getRange / JSON.parse`,
  needs: ['synthea'],
  async run(ctx) {
    ctx.log('populating the store (untimed, shared fixture)…');
    const path = await syntheaStore(ctx.fixtures, ctx.synthea);
    const backend = openLmdbBackend({ path });
    const store = createStore(backend);
    try {
      const head = await store.headSeq();
      const count = (n: number) => {
        if (n !== head) throw new Error(`read ${n} events, expected ${head}`);
      };
      count(await readAll(store)); // warm-up: pages in the log
      fullGc();

      ctx.log(`${head} events: readChanges and raw getRange…`);
      const raw = await medianOf(RUNS, () => count(rawGetRange(backend)));
      const read = await medianOf(RUNS, async () => count(await readAll(store)));
      fullGc();
      ctx.log('checkpoint writes…');
      const checkpoint = await checkpointLatency(backend);
      ctx.log('projector runtime, no-op projector…');
      const noop = await medianOf(RUNS, (i) => replay(store, head, `bench-noop-${i}`, () => {}));

      fullGc();
      ctx.log('JSON.parse of the stored bodies, and a projector that parses…');
      const bodies = await storedBodies(store);
      const decoder = new TextDecoder();
      const parse = await medianOf(RUNS, () => {
        let n = 0;
        for (const body of bodies) if (JSON.parse(decoder.decode(body)).resourceType) n++;
        count(n);
      });
      bodies.length = 0;
      fullGc();
      const parsing = await medianOf(RUNS, (i) =>
        replay(store, head, `bench-parse-${i}`, (e) => {
          if (!e.resource) throw new Error(`no resource at seq ${e.seq}`);
        }),
      );

      const rawRate = perSecond(head, raw.ms);
      const details = (runs: number[]) => ({ events: head, runsMs: runs.map(Math.round).join(', ') });
      return [
        {
          name: 'projector runtime, no-op projector',
          unit: 'events/s',
          value: perSecond(head, noop.ms),
          baseline: { name: 'raw lmdb getRange', value: rawRate },
          target: { min: 200_000 },
          details: details(noop.all),
        },
        {
          name: `store.readChanges, batches of ${BATCH_SIZE}`,
          unit: 'events/s',
          value: perSecond(head, read.ms),
          baseline: { name: 'raw lmdb getRange', value: rawRate },
          details: details(read.all),
        },
        {
          name: 'projector runtime, projector reads e.resource',
          unit: 'events/s',
          value: perSecond(head, parsing.ms),
          baseline: { name: 'JSON.parse same bytes', value: perSecond(head, parse.ms) },
          details: details(parsing.all),
        },
        {
          name: 'checkpoints.set, awaited (one per runtime batch)',
          unit: 'ms',
          better: 'lower',
          value: checkpoint.store,
          baseline: { name: 'raw lmdb put', value: checkpoint.raw },
          details: { writes: CHECKPOINT_WRITES },
        },
      ] satisfies Figure[];
    } finally {
      await store.close();
    }
  },
};

const CHECKPOINT_WRITES = 30;

/**
 * Mean latency of an awaited `store.checkpoints.set` (what the runtime awaits
 * after each batch), alternating with an awaited raw lmdb `put` of the same
 * value into the same database.
 */
async function checkpointLatency(backend: LmdbBackend): Promise<{ store: number; raw: number }> {
  let store = 0;
  let raw = 0;
  for (let i = 0; i < CHECKPOINT_WRITES; i++) {
    store += (await timed(() => backend.checkpoints.set('bench-probe', { seq: i }))).ms;
    raw += (await timed(() => backend.checkpoints.db.put('bench-probe-raw', { seq: i }))).ms;
  }
  await backend.checkpoints.delete('bench-probe');
  await backend.checkpoints.db.remove('bench-probe-raw');
  return { store: store / CHECKPOINT_WRITES, raw: raw / CHECKPOINT_WRITES };
}

/** Register a projector doing `touch` on each event; time from register until it has applied `head`. */
async function replay(store: ResourceStore, head: number, name: string, touch: (e: ChangeEvent) => void) {
  const runtime = createProjectorRuntime(store, { batchSize: BATCH_SIZE });
  try {
    await runtime.register({
      name,
      version: 1,
      async apply(batch) {
        for (const e of batch) touch(e);
      },
    });
    await runtime.waitFor(head, { timeoutMs: 600_000 });
  } finally {
    await runtime.stop();
  }
}

/** The store's log read with `readChanges`, batch after batch; returns the number of events. */
async function readAll(store: ResourceStore): Promise<number> {
  let n = 0;
  for (let next = 1; ; ) {
    const batch = await store.readChanges(next, BATCH_SIZE);
    n += batch.length;
    if (batch.length < BATCH_SIZE) return n;
    next = batch[batch.length - 1]!.seq + 1;
  }
}

/** The baseline: the same log entries, with lmdb's `getRange` in batches, values decoded into arrays. */
function rawGetRange(backend: LmdbBackend): number {
  let n = 0;
  for (let next = 1; ; ) {
    const batch: unknown[] = [];
    let last = next;
    for (const { key, value } of backend.dbs.log.getRange({ start: next, limit: BATCH_SIZE })) {
      batch.push(value);
      last = key;
    }
    n += batch.length;
    if (batch.length < BATCH_SIZE) return n;
    next = last + 1;
  }
}

/** The JSON bytes of every event (untimed), for the `JSON.parse` baseline. */
async function storedBodies(store: ResourceStore): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const e of store.changes(1)) {
    const body = e instanceof StoredVersion ? e.body : undefined;
    if (body) out.push(body);
  }
  return out;
}
