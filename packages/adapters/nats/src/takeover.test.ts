import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay, type Projector, type ResourceStore, runRemoteProjector } from '@fhirstream/core';
import { memoryCheckpoints, memoryProjection } from '@fhirstream/core/testing';
import { openLmdbStore } from '@fhirstream/lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NatsTransport, openNatsTransport } from './nats-transport.js';

const url = process.env.FHIRSTREAM_NATS_URL;
const title = 'two remote projector workers in one group over NATS';

describe.skipIf(!url)(url ? title : `${title} (skipped: FHIRSTREAM_NATS_URL not set)`, () => {
  let path: string;
  let store: ResourceStore;
  let prefix: string;
  let transports: NatsTransport[];
  const connect = async () => {
    const t = await openNatsTransport({ servers: url!, prefix });
    transports.push(t);
    return t;
  };
  beforeEach(() => {
    path = mkdtempSync(join(tmpdir(), 'fhirstream-nats-takeover-'));
    store = openLmdbStore({ path });
    prefix = `fst_${randomUUID().slice(0, 8)}`;
    transports = [];
  });
  afterEach(async () => {
    await transports[0]?.destroy();
    for (const t of transports) await t.close();
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  /** Commit `commits` small transactions while the workers run. */
  const writeSteadily = async (commits: number) => {
    for (let i = 0; i < commits; i++) {
      await store.commit(
        Array.from({ length: 5 }, (_, j) => ({
          op: 'update' as const,
          resource: { resourceType: 'Patient' as const, id: `p${(i * 5 + j) % 120}` },
        })),
      );
      await new Promise((r) => setTimeout(r, 2));
    }
  };

  /** A worker's view of the shared projection, counting what it applied. */
  const counted = (projector: Projector, counter: { applied: number; hang?: () => boolean }): Projector => ({
    ...projector,
    async apply(batch, ctx) {
      if (counter.hang?.()) await new Promise(() => {}); // dies in the middle of this batch
      counter.applied += batch.length;
      return projector.apply(batch, ctx);
    },
  });

  for (const how of ['stopped', 'crashed'] as const) {
    it(`the other worker takes over when one is ${how} mid-stream: nothing lost, nothing applied twice`, async () => {
      const relay = createRelay(store, await connect(), { name: 'nats', batchSize: 50 });
      const shared = memoryProjection('patients');
      const checkpoints = memoryCheckpoints();
      const options = { checkpoints, batchSize: 20, ackWaitMs: 1000 };
      let hung = false;
      const a = {
        applied: 0,
        hang: () => {
          if (how === 'crashed' && shared.gen(1).applied.length >= 100) hung = true;
          return hung;
        },
      };
      const b = { applied: 0 };
      const workerA = await runRemoteProjector(await connect(), counted(shared.projector, a), options);
      const workerB = await runRemoteProjector(await connect(), counted(shared.projector, b), options);
      const writing = writeSteadily(80);
      await workerB.waitFor(100, { timeoutMs: 10_000 });
      if (how === 'stopped') await workerA.stop();
      else {
        while (!hung) await new Promise((r) => setTimeout(r, 5));
        await workerA.abort();
      }
      const appliedByA = a.applied;
      await writing;
      const head = await store.headSeq();
      expect(head).toBe(400);
      await relay.waitFor(head, { timeoutMs: 10_000 });
      await workerB.waitFor(head, { timeoutMs: 15_000 });
      expect(shared.gen(1).applied).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      expect(shared.gen(1).live.size).toBe(120);
      expect(a.applied).toBe(appliedByA);
      expect(a.applied + b.applied).toBe(head);
      expect(b.applied).toBeGreaterThan(0);
      expect(await workerB.status()).toMatchObject({ checkpoint: head, lag: 0 });
      await workerB.stop();
      await relay.stop();
    });
  }
});
