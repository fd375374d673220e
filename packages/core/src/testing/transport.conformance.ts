import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent } from '../store/types.js';
import { createRelay, type Relay } from '../transport/relay.js';
import { type RemoteProjector, runRemoteProjector } from '../transport/remote-projector.js';
import type { ChangeHandler, ChangeTransport, ConsumeOptions } from '../transport/types.js';
import { memoryProjection } from './runtime.conformance.js';
import {
  memoryCheckpoints,
  range,
  syntheticEvents,
  type TransportConformanceOptions,
  type TransportFixture,
  until,
} from './transport-conformance.fixture.js';

export {
  memoryCheckpoints,
  syntheticEvents,
  type TransportConformanceOptions,
  type TransportFixture,
} from './transport-conformance.fixture.js';

/**
 * The conformance suite of a change-stream transport: ordered, deduplicated
 * publish; at-least-once consumer groups that ack after the handler and hand a
 * crashed consumer's events to another; and a real store relayed to a remote
 * projector, through relay and worker crashes, with nothing lost or applied twice.
 *
 * @example
 * ```ts
 * runTransportConformance({
 *   name: 'nats',
 *   setup: async () => { const prefix = `t${randomUUID()}`; ... },
 *   openStore: async () => { const path = mkdtempSync(...); const store = openLmdbStore({ path }); ... },
 * });
 * ```
 */
export function runTransportConformance(options: TransportConformanceOptions): void {
  const ackWaitMs = options.ackWaitMs ?? 1000;
  describe(`change transport [${options.name}]`, () => {
    let fixture: TransportFixture;
    let clients: ChangeTransport[];
    let cleanups: Array<() => Promise<unknown>>;
    const connect = async () => {
      const t = await fixture.connect();
      clients.push(t);
      return t;
    };
    beforeEach(async () => {
      clients = [];
      cleanups = [];
      fixture = await options.setup();
    });
    afterEach(async () => {
      for (const c of cleanups.reverse()) await c();
      for (const c of clients) await c.close();
      await fixture.teardown();
    });

    /** Consume a group, recording each successful batch. */
    const collect = async (
      t: ChangeTransport,
      group: string,
      extra: ConsumeOptions = {},
      before?: ChangeHandler,
    ) => {
      const batches: ChangeEvent[][] = [];
      const seqs: number[] = [];
      const consumer = await t.consume(
        group,
        async (batch, delivery) => {
          await before?.(batch, delivery);
          batches.push(batch);
          seqs.push(...batch.map((e) => e.seq));
        },
        { ackWaitMs, ...extra },
      );
      cleanups.push(() => consumer.stop());
      return { batches, seqs, consumer };
    };

    it('stores in order and a group gets every event once, in seq order, in batches', async () => {
      const t = await connect();
      expect(await t.lastPublishedSeq()).toBe(0);
      for (let from = 1; from <= 250; from += 50) await t.publish(syntheticEvents(from, 50));
      expect(await t.lastPublishedSeq()).toBe(250);
      const { batches, seqs } = await collect(await connect(), 'g', { batchSize: 40 });
      await until(() => seqs.length >= 250, 10_000, '250 events');
      expect(seqs).toEqual(range(1, 250));
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(40);
      const sample = batches.flat()[1]!; // a batch may hold a single event
      expect(sample).toEqual(syntheticEvents(2, 1)[0]);
      expect(sample.resource).toMatchObject({ resourceType: sample.resourceType, id: sample.id });
    });

    it('drops re-published events: idempotent by seq', async () => {
      const t = await connect();
      await t.publish(syntheticEvents(1, 20));
      await t.publish(syntheticEvents(11, 20));
      await t.publish(syntheticEvents(1, 30));
      expect(await t.lastPublishedSeq()).toBe(30);
      const { seqs } = await collect(t, 'g');
      await until(() => seqs.length >= 30, 10_000, '30 events');
      await new Promise((r) => setTimeout(r, 200));
      expect(seqs).toEqual(range(1, 30));
    });

    it('acknowledges only after the handler: a failed batch is redelivered, nothing lost', async () => {
      const t = await connect();
      await t.publish(syntheticEvents(1, 20));
      let failures = 0;
      const errors: unknown[] = [];
      const { batches } = await collect(
        t,
        'g',
        { batchSize: 5, retryDelayMs: () => 10, onError: (e) => errors.push(e) },
        async (batch) => {
          if (batch.some((e) => e.seq === 7) && failures++ < 2) throw new Error('handler failed');
        },
      );
      await until(() => batches.flat().length >= 20, 10_000, '20 events');
      expect(batches.flat().map((e) => e.seq)).toEqual(range(1, 20));
      expect(failures).toBe(3);
      expect(errors).toHaveLength(2);
    });

    it('hands what a crashed consumer did not acknowledge to another consumer of the group', async () => {
      await (await connect()).publish(syntheticEvents(1, 30));
      let stuck: number[] = [];
      const a = await (await connect()).consume(
        'g',
        async (batch) => {
          stuck = batch.map((e) => e.seq);
          await new Promise(() => {}); // hangs: the process is about to die
        },
        { batchSize: 10, ackWaitMs },
      );
      await until(() => stuck.length > 0, 5000, 'a batch for the first consumer');
      await a.abort();
      const b = await collect(await connect(), 'g', { batchSize: 10 });
      await until(() => new Set(b.seqs).size >= 30, 10_000 + ackWaitMs, '30 events on the second consumer');
      // Taken-over events may come after newer ones (the remote projector puts them in order).
      expect([...new Set(b.seqs)].sort((x, y) => x - y)).toEqual(range(1, 30));
      expect(stuck).toEqual(range(1, stuck.length));
      expect(b.seqs.filter((s) => s > stuck.length)).toEqual(range(stuck.length + 1, 30));
    });

    it('lets a consumer stop after acknowledging its batch; the group goes on from there', async () => {
      const t = await connect();
      await t.publish(syntheticEvents(1, 40));
      const a = await collect(t, 'g', { batchSize: 10 });
      await until(() => a.seqs.length >= 10, 5000, 'a first batch');
      await a.consumer.stop();
      const b = await collect(await connect(), 'g', { batchSize: 10 });
      await until(() => a.seqs.length + b.seqs.length >= 40, 10_000 + ackWaitMs, 'the rest');
      expect(a.seqs.filter((s) => b.seqs.includes(s))).toEqual([]);
      expect([...a.seqs, ...b.seqs].sort((x, y) => x - y)).toEqual(range(1, 40));
    });

    it('gives each group every event (fan-out)', async () => {
      const t = await connect();
      await t.publish(syntheticEvents(1, 15));
      const g1 = await collect(t, 'search');
      const g2 = await collect(await connect(), 'history');
      await until(() => g1.seqs.length >= 15 && g2.seqs.length >= 15, 10_000, 'both groups');
      expect(g1.seqs).toEqual(range(1, 15));
      expect(g2.seqs).toEqual(range(1, 15));
    });

    describe('relay and remote projector', () => {
      let store: ResourceStore;
      let disposeStore: () => Promise<void>;
      beforeEach(async () => {
        ({ store, dispose: disposeStore } = await options.openStore());
      });
      afterEach(async () => {
        for (const c of cleanups.splice(0).reverse()) await c();
        await disposeStore();
      });

      let n = 0;
      const commitBatch = async (size: number) => {
        const ops = Array.from({ length: size }, () => {
          n += 1;
          const type = n % 4 === 0 ? 'Observation' : 'Patient';
          return { op: 'update' as const, resource: { resourceType: type, id: `x${n % 97}` } as never };
        });
        return store.commit(ops);
      };
      const relayOf = (t: ChangeTransport, extra = {}): Relay => {
        const relay = createRelay(store, t, {
          name: 'r',
          batchSize: 50,
          backoff: { initialMs: 5, maxMs: 20 },
          ...extra,
        });
        cleanups.push(() => relay.stop());
        return relay;
      };
      const remote = async (t: ChangeTransport, projection = memoryProjection('live'), extra = {}) => {
        const checkpoints = memoryCheckpoints();
        const worker = await runRemoteProjector(t, projection.projector, {
          checkpoints,
          ackWaitMs,
          ...extra,
        });
        cleanups.push(() => worker.stop());
        return { worker, checkpoints, ...projection };
      };
      const expectProjected = async (worker: RemoteProjector, applied: number[]) => {
        const head = await store.headSeq();
        await worker.waitFor(head, { timeoutMs: 15_000 });
        expect(applied).toEqual(range(1, head));
      };

      it('relays a real store; a remote projector applies every event once, in order', async () => {
        for (let i = 0; i < 20; i++) await commitBatch(7);
        const relay = relayOf(await connect());
        const { worker, gen } = await remote(await connect());
        for (let i = 0; i < 20; i++) await commitBatch(3);
        const { seq } = await store.commit([{ op: 'delete', resourceType: 'Patient', id: 'x1' }]);
        await relay.waitFor(seq, { timeoutMs: 10_000 });
        await expectProjected(worker, gen(1).applied);
        expect(gen(1).live.has('Patient/x1')).toBe(false);
        expect(await relay.status()).toMatchObject({ name: 'r', published: seq, headSeq: seq, lag: 0 });
        expect(await worker.status()).toMatchObject({
          checkpoint: seq,
          publishedSeq: seq,
          lag: 0,
          skipped: 0,
        });
        expect((await store.checkpoints.get('relay/r'))?.seq).toBe(seq);
      });

      const crashingAfter = (
        t: ChangeTransport,
        batches: number,
      ): ChangeTransport & { published: number[] } => {
        let calls = 0;
        const published: number[] = [];
        return {
          kind: t.kind,
          published,
          async lastPublishedSeq() {
            if (calls > batches) throw new Error('relay process is dead');
            return t.lastPublishedSeq();
          },
          consume: (g, h, o) => t.consume(g, h, o),
          close: async () => {},
          async publish(events) {
            calls += 1;
            if (calls > batches + 1) throw new Error('relay process is dead');
            await t.publish(events);
            published.push(...events.map((e) => e.seq));
            if (calls === batches + 1) throw new Error('crashed after the broker acknowledged');
          },
        };
      };

      for (const resume of ['broker', 'checkpoint'] as const) {
        it(`resumes a relay killed mid-stream without loss or duplicates (resume from ${resume})`, async () => {
          for (let i = 0; i < 40; i++) await commitBatch(5);
          const t = await connect();
          const dying = crashingAfter(t, 2);
          const first = relayOf(dying);
          await until(() => dying.published.length === 150, 5000, 'three batches');
          await first.stop();
          expect((await store.checkpoints.get('relay/r'))?.seq).toBe(100);
          expect(await t.lastPublishedSeq()).toBe(150);
          for (let i = 0; i < 20; i++) await commitBatch(5);
          const { worker, gen } = await remote(await connect());
          const again = crashingAfter(t, Number.POSITIVE_INFINITY);
          const second = relayOf(again, { resume });
          await second.waitFor(300, { timeoutMs: 10_000 });
          expect(again.published[0]).toBe(resume === 'broker' ? 151 : 101);
          await expectProjected(worker, gen(1).applied);
          expect((await worker.status()).skipped).toBe(0);
        });
      }

      it('skips redelivered events at or below the remote checkpoint', async () => {
        await commitBatch(20);
        const t = await connect();
        const relay = relayOf(t);
        const projection = memoryProjection('skip');
        const first = await remote(await connect(), projection, { group: 'one', checkpointKey: 'skip' });
        await first.worker.waitFor(20, { timeoutMs: 10_000 });
        await first.worker.stop();
        // A new group replays the stream from the start; the shared checkpoint skips what was applied.
        const second = await runRemoteProjector(await connect(), projection.projector, {
          checkpoints: first.checkpoints,
          group: 'two',
          checkpointKey: 'skip',
          ackWaitMs,
        });
        cleanups.push(() => second.stop());
        const { seq } = await commitBatch(5);
        await relay.waitFor(seq, { timeoutMs: 10_000 });
        await expectProjected(second, projection.gen(1).applied);
        expect((await second.status()).skipped).toBe(20);
      });

      it('lets a worker of the group take over from a crashed one, applying each event once', async () => {
        for (let i = 0; i < 30; i++) await commitBatch(4);
        const relay = relayOf(await connect());
        const projection = memoryProjection('shared');
        const checkpoints = memoryCheckpoints();
        let applied = 0;
        let stuck = false;
        const dying = await runRemoteProjector(
          await connect(),
          {
            ...projection.projector,
            async apply(batch, ctx) {
              if (applied >= 3) {
                stuck = true;
                await new Promise(() => {}); // the worker dies in the middle of this batch
              }
              applied += 1;
              return projection.projector.apply(batch, ctx);
            },
          },
          { checkpoints, batchSize: 10, ackWaitMs },
        );
        await until(() => stuck, 10_000, 'the first worker to be mid-batch');
        await dying.abort();
        const survivor = await runRemoteProjector(await connect(), projection.projector, {
          checkpoints,
          batchSize: 10,
          ackWaitMs,
        });
        cleanups.push(() => survivor.stop());
        for (let i = 0; i < 10; i++) await commitBatch(4);
        await relay.waitFor(await store.headSeq(), { timeoutMs: 10_000 });
        await expectProjected(survivor, projection.gen(1).applied);
      });
    });
  });
}
