import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ChangeEvent,
  type ChangeTransport,
  createProjectorRuntime,
  createRelay,
  createStore,
  type ResourceStore,
  runRemoteProjector,
  type UpdateOp,
} from '@fhirstream/core';
import { memoryCheckpoints } from '@fhirstream/core/testing';
import { openLmdbStore } from '@fhirstream/lmdb';
import { openNatsTransport } from '@fhirstream/nats';
import { openPostgresBackend, quoteIdent } from '@fhirstream/postgres';
import { openRedisTransport } from '@fhirstream/redis';
import { slidingWindow } from '../data/commit-bundles.js';
import { linkedOps } from '../data/linked-ops.js';
import { fullGc } from '../harness/memory.js';
import { percentile, round2, sleep } from '../harness/percentiles.js';
import { perSecond } from '../harness/timing.js';
import type { Figure, Workload, WorkloadContext } from '../harness/types.js';

type Transport = ChangeTransport & { destroy(): Promise<void> };

/**
 * `scaleout` (#7), only when `FHIRSTREAM_POSTGRES_URL`, `FHIRSTREAM_NATS_URL`
 * and `FHIRSTREAM_REDIS_URL` are set (else: no figures, a log line):
 * PostgreSQL ingest of the Synthea `linkedOps` (fresh schema, 4 bundles in
 * flight) next to LMDB ingest of the same ops; relay throughput of small
 * events through NATS JetStream and Redis Streams next to the in-process
 * projector runtime over the same log; and commit → remote projector apply
 * lag at 1,000 writes/s next to the in-process runtime applying the same
 * commits. Schemas, streams and keys are removed afterwards.
 */
export const scaleout: Workload = {
  name: 'scaleout',
  issue: '#7',
  description: 'PostgreSQL vs LMDB ingest; relay events/s and commit → remote apply lag via NATS and Redis',
  needs: ['synthea'],
  async run(ctx) {
    const pgUrl = process.env.FHIRSTREAM_POSTGRES_URL;
    const natsUrl = process.env.FHIRSTREAM_NATS_URL;
    const redisUrl = process.env.FHIRSTREAM_REDIS_URL;
    if (!pgUrl || !natsUrl || !redisUrl) {
      ctx.log(
        'skipped: set FHIRSTREAM_POSTGRES_URL, FHIRSTREAM_NATS_URL and FHIRSTREAM_REDIS_URL to run it (no figures)',
      );
      return [];
    }
    const figures: Figure[] = [];
    figures.push(await postgresIngest(ctx, pgUrl));
    const brokers: Array<[string, (prefix: string) => Promise<Transport>]> = [
      ['NATS', (prefix) => openNatsTransport({ servers: natsUrl, prefix })],
      ['Redis', (prefix) => openRedisTransport({ url: redisUrl, prefix })],
    ];
    for (const [name, open] of brokers) {
      fullGc();
      figures.push(await relayThroughput(ctx, name, open));
      fullGc();
      figures.push(...(await lag(ctx, name, open)));
    }
    return figures;
  },
};

const prefix = () => `fsbench_${randomBytes(4).toString('hex')}`;

async function postgresIngest(ctx: WorkloadContext, url: string): Promise<Figure> {
  const ops = linkedOps(ctx.synthea);
  const resources = ops.reduce((n, o) => n + o.length, 0);
  const lmdbRun = async () => {
    const path = join(ctx.dir, `lmdb-${Math.random().toString(36).slice(2)}`);
    const store = openLmdbStore({ path });
    try {
      const t = performance.now();
      await slidingWindow(ops, 4, (o) => store.commit(o));
      return performance.now() - t;
    } finally {
      await store.close();
      rmSync(path, { recursive: true, force: true });
    }
  };
  const pgRun = async () => {
    const schema = prefix();
    const backend = await openPostgresBackend({ connectionString: url, schema });
    const store = createStore(backend);
    try {
      const t = performance.now();
      await slidingWindow(ops, 4, (o) => store.commit(o as UpdateOp[]));
      const ms = performance.now() - t;
      const head = await store.headSeq();
      if (head !== resources) throw new Error(`postgres head ${head}, expected ${resources}`);
      return ms;
    } finally {
      await backend.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
      await store.close().catch(() => undefined);
    }
  };
  ctx.log(`ingest of ${resources} resources, 4 bundles in flight: LMDB…`);
  const lmdbMs = await lmdbRun();
  ctx.log('…PostgreSQL (fresh schema)…');
  const pgMs = await pgRun();
  ctx.log(`LMDB ${Math.round(lmdbMs)} ms, PostgreSQL ${Math.round(pgMs)} ms`);
  return {
    name: 'PostgreSQL ingest, 4 bundles in flight',
    unit: 'resources/s',
    value: perSecond(resources, pgMs),
    baseline: { name: 'LMDB same ops', value: perSecond(resources, lmdbMs) },
    target: { minRatio: 0.3 },
    details: { resources, bundles: ops.length, pgMs: Math.round(pgMs), lmdbMs: Math.round(lmdbMs) },
  };
}

function freshStore(ctx: WorkloadContext, name: string) {
  const path = join(ctx.dir, `${name}-${Math.random().toString(36).slice(2)}`);
  const store = openLmdbStore({ path });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
}

async function fillPatients(store: ResourceStore, total: number) {
  for (let i = 0; i < total; i += 500)
    await store.commit(
      Array.from({ length: Math.min(500, total - i) }, () => ({
        op: 'create' as const,
        resource: { resourceType: 'Patient' as const, active: true },
      })),
    );
}

async function relayThroughput(
  ctx: WorkloadContext,
  broker: string,
  open: (prefix: string) => Promise<Transport>,
): Promise<Figure> {
  const total = ctx.quick ? 10_000 : 50_000;
  const { store, dispose } = freshStore(ctx, 'relay');
  try {
    await fillPatients(store, total);
    ctx.log(`${broker}: relay of ${total} events…`);
    const transport = await open(prefix());
    let relayMs: number;
    try {
      const t = performance.now();
      const relay = createRelay(store, transport, { name: 'bench', batchSize: 500 });
      await relay.waitFor(total, { timeoutMs: 120_000 });
      relayMs = performance.now() - t;
      await relay.stop();
    } finally {
      await transport.destroy();
      await transport.close();
    }
    // Baseline: the in-process projector runtime delivering the same log to a no-op projector.
    const runtime = createProjectorRuntime(store, { batchSize: 500 });
    const t = performance.now();
    await runtime.register({ name: 'bench-local', version: 1, apply: async () => {} });
    await runtime.waitFor(total, { timeoutMs: 120_000 });
    const localMs = performance.now() - t;
    await runtime.stop();
    ctx.log(`${broker}: relay ${Math.round(relayMs)} ms, in-process runtime ${Math.round(localMs)} ms`);
    return {
      name: `relay through ${broker}, batches of 500`,
      unit: 'events/s',
      value: perSecond(total, relayMs),
      baseline: { name: 'in-process runtime', value: perSecond(total, localMs) },
      target: { min: 50_000 },
      details: { events: total, relayMs: Math.round(relayMs), localMs: Math.round(localMs) },
    };
  } finally {
    await dispose();
  }
}

async function lag(
  ctx: WorkloadContext,
  broker: string,
  open: (prefix: string) => Promise<Transport>,
): Promise<Figure[]> {
  const rate = 1000;
  const seconds = ctx.quick ? 3 : 10;
  const total = rate * seconds;
  const { store, dispose } = freshStore(ctx, 'lag');
  const p = prefix();
  const pub = await open(p);
  const sub = await open(p);
  const startedAt = new Map<number, number>();
  const remoteAt = new Map<number, number>();
  const localAt = new Map<number, number>();
  const record = (into: Map<number, number>) => async (batch: readonly ChangeEvent[]) => {
    const now = performance.now();
    for (const e of batch) into.set(e.seq, now);
  };
  const relay = createRelay(store, pub, { name: 'lag' });
  const worker = await runRemoteProjector(
    sub,
    { name: 'lag', version: 1, apply: record(remoteAt) },
    { checkpoints: memoryCheckpoints(), batchSize: 100 },
  );
  const runtime = createProjectorRuntime(store, { batchSize: 100 });
  await runtime.register({ name: 'lag-local', version: 1, apply: record(localAt) });
  try {
    ctx.log(`${broker}: ${total} commits at ${rate}/s, commit → remote apply…`);
    const commitMs: number[] = [];
    const started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 1) await sleep(wait);
      const t0 = performance.now();
      inflight.push(
        store
          .commit([
            { op: 'create', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } },
          ])
          .then(({ seq }) => {
            startedAt.set(seq, t0);
            commitMs.push(performance.now() - t0);
          }),
      );
    }
    await Promise.all(inflight);
    const achieved = perSecond(total, performance.now() - started);
    await worker.waitFor(total, { timeoutMs: 60_000 });
    await runtime.waitFor(total, { timeoutMs: 60_000 });
    const lags = (at: Map<number, number>) => [...startedAt].map(([seq, t0]) => at.get(seq)! - t0);
    const remote = lags(remoteAt);
    const local = lags(localAt);
    const details = {
      commits: total,
      achievedWritesPerSecond: Math.round(achieved),
      commitP50Ms: round2(percentile(commitMs, 50)),
      commitP99Ms: round2(percentile(commitMs, 99)),
    };
    ctx.log(
      `${broker}: ${Math.round(achieved)} writes/s; remote p50 ${round2(percentile(remote, 50))} ms, p99 ${round2(percentile(remote, 99))} ms`,
    );
    const baseline = (p: number) => ({ name: 'in-process runtime', value: round2(percentile(local, p)) });
    return [
      {
        name: `${broker}: commit → remote apply, ${rate} writes/s, p50`,
        unit: 'ms',
        better: 'lower',
        value: round2(percentile(remote, 50)),
        baseline: baseline(50),
        details,
      },
      {
        name: `${broker}: commit → remote apply, ${rate} writes/s, p99`,
        unit: 'ms',
        better: 'lower',
        value: round2(percentile(remote, 99)),
        baseline: baseline(99),
        target: { max: 100 },
        details,
      },
    ];
  } finally {
    await runtime.stop();
    await worker.stop();
    await relay.stop();
    await pub.destroy();
    await pub.close();
    await sub.close();
    await dispose();
  }
}
