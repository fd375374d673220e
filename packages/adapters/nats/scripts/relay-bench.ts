// Relay throughput (50,000 small events) and commit -> remote apply lag at ~1,000 writes/s over NATS JetStream.
// Run from packages/adapters/nats: node --conditions=source --import tsx scripts/relay-bench.ts [runs] [--lag]
// (RELAY_BATCH sets the relay batch size, default 500.)
// (FHIRSTREAM_NATS_URL overrides nats://127.0.0.1:4222.)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChangeTransport, createRelay, runRemoteProjector } from '@fhirstream/core';
import { memoryCheckpoints } from '@fhirstream/core/testing';
import { openLmdbStore } from '@fhirstream/lmdb';
import { openNatsTransport } from '../src/index.js';

type Open = (prefix: string) => Promise<ChangeTransport & { destroy(): Promise<void> }>;
const servers = process.env.FHIRSTREAM_NATS_URL ?? 'nats://127.0.0.1:4222';
const open: Open = (prefix) => openNatsTransport({ servers, prefix });

const freshStore = () => {
  const path = mkdtempSync(join(tmpdir(), 'fs-bench-'));
  const store = openLmdbStore({ path });
  return {
    store,
    async dispose() {
      await store.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
};

async function throughput(total = 50_000) {
  const { store, dispose } = freshStore();
  for (let i = 0; i < total / 500; i++)
    await store.commit(
      Array.from({ length: 500 }, () => ({
        op: 'create' as const,
        resource: { resourceType: 'Patient' as const, active: true },
      })),
    );
  const t = await open(`bench_${randomUUID().slice(0, 8)}`);
  const started = performance.now();
  const relay = createRelay(store, t, { name: 'bench', batchSize: Number(process.env.RELAY_BATCH ?? 500) });
  await relay.waitFor(total, { timeoutMs: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  await relay.stop();
  const last = await t.lastPublishedSeq();
  if (last !== total) throw new Error(`broker holds ${last}, expected ${total}`);
  await t.destroy();
  await t.close();
  await dispose();
  return Math.round(total / seconds);
}

async function lag(rate = 1000, seconds = 10) {
  const { store, dispose } = freshStore();
  const prefix = `bench_${randomUUID().slice(0, 8)}`;
  const pub = await open(prefix);
  const sub = await open(prefix);
  const committedAt = new Map<number, number>();
  const lags: number[] = [];
  const relay = createRelay(store, pub, { name: 'lag' });
  const worker = await runRemoteProjector(
    sub,
    {
      name: 'lag',
      version: 1,
      async apply(batch) {
        const now = performance.now();
        for (const e of batch) {
          const at = committedAt.get(e.seq);
          if (at !== undefined) lags.push(now - at);
        }
      },
    },
    { checkpoints: memoryCheckpoints(), batchSize: 100 },
  );
  const total = rate * seconds;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const { seq } = await store.commit([
      {
        op: 'create',
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } as never,
      },
    ]);
    committedAt.set(seq, performance.now());
  }
  const achieved = Math.round(total / ((performance.now() - started) / 1000));
  await worker.waitFor(total, { timeoutMs: 60_000 });
  lags.sort((a, b) => a - b);
  const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))]!.toFixed(2);
  await worker.stop();
  await relay.stop();
  await pub.destroy();
  await pub.close();
  await sub.close();
  await dispose();
  return {
    writesPerSecond: achieved,
    samples: lags.length,
    p50: pct(50),
    p99: pct(99),
    max: lags.at(-1)!.toFixed(1),
  };
}

const runs = Number(process.argv[2] ?? 3);
for (let i = 0; i < runs; i++)
  console.log(JSON.stringify({ broker: 'nats', run: i + 1, relayEventsPerSecond: await throughput() }));
if (process.argv.includes('--lag')) console.log(JSON.stringify({ broker: 'nats', lagMs: await lag() }));
process.exit(0);
