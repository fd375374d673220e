import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjectorRuntime, type ProjectorRuntime } from '../projection/runtime.js';
import type { Projector, ProjectorError } from '../projection/types.js';
import type { ResourceStore } from '../store/create-store.js';
import { type ConformanceOptions, errorCodeOf, openFixtureStore } from './fixture.js';

/**
 * An in-memory projection for tests: per generation, the live resource ids
 * and every seq applied (to count double applications).
 */
export function memoryProjection(name: string, version = 1, extra: Partial<Projector> = {}) {
  const generations = new Map<number, { live: Set<string>; applied: number[] }>();
  const gen = (g: number) => {
    let data = generations.get(g);
    if (!data) {
      data = { live: new Set(), applied: [] };
      generations.set(g, data);
    }
    return data;
  };
  const projector: Projector = {
    name,
    version,
    async apply(batch, ctx) {
      const data = gen(ctx.generation);
      for (const e of batch) {
        const key = `${e.resourceType}/${e.id}`;
        if (e.action === 'delete') data.live.delete(key);
        else data.live.add(key);
        data.applied.push(e.seq);
      }
    },
    async reset(g) {
      generations.delete(g);
    },
    ...extra,
  };
  return { projector, generations, gen };
}

/** The projector runtime over this backend's log and checkpoints. */
export function describeProjectorRuntime(options: ConformanceOptions): void {
  describe(`projector runtime [${options.name}]`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    let runtimes: ProjectorRuntime[];
    const runtime = () => {
      const r = createProjectorRuntime(store, { batchSize: 10, backoff: { initialMs: 5, maxMs: 20 } });
      runtimes.push(r);
      return r;
    };
    beforeEach(async () => {
      runtimes = [];
      ({ store, dispose } = await openFixtureStore(options));
    });
    afterEach(async () => {
      for (const r of runtimes) await r.stop();
      await dispose();
    });

    const create = (id: string, type = 'Patient') =>
      store.commit([{ op: 'update', resource: { resourceType: type, id } as never }]);

    it('projects existing and new events, and waitFor gives read-your-writes', async () => {
      for (let i = 0; i < 25; i++) await create(`p${i}`);
      const { projector, gen } = memoryProjection('live');
      const r = runtime();
      await r.register(projector);
      const { seq } = await create('late');
      await r.waitFor(seq);
      expect(gen(1).live.size).toBe(26);
      expect(gen(1).applied).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
      const [status] = await r.status();
      expect(status).toMatchObject({ name: 'live', generation: 1, checkpoint: 26, headSeq: 26, lag: 0 });
    });

    it('resumes from its durable checkpoint without reapplying what was checkpointed', async () => {
      const { projector, gen } = memoryProjection('resume');
      const r1 = runtime();
      await r1.register(projector);
      const { seq } = await create('a');
      await r1.waitFor(seq);
      await r1.stop();
      await create('b');
      await create('c');
      const r2 = runtime();
      await r2.register(projector);
      await r2.waitFor(3);
      expect(gen(1).applied).toEqual([1, 2, 3]);
    });

    it('passes only handled events to apply while the checkpoint moves over all', async () => {
      const { projector, gen } = memoryProjection('obs-only', 1, {
        handles: (e) => e.resourceType === 'Observation',
      });
      const r = runtime();
      await r.register(projector);
      await create('p');
      const { seq } = await create('o', 'Observation');
      await create('q');
      await r.waitFor(seq + 1);
      expect([...gen(1).live]).toEqual(['Observation/o']);
    });

    it('retries a failing projector with backoff, reports it, and does not stall the others', async () => {
      let failures = 3;
      const failing = memoryProjection('flaky');
      const flaky: Projector = {
        ...failing.projector,
        async apply(batch, ctx) {
          if (failures-- > 0) throw new Error('disk on fire');
          return failing.projector.apply(batch, ctx);
        },
      };
      const healthy = memoryProjection('healthy');
      const r = runtime();
      const errors: ProjectorError[] = [];
      r.errors$.subscribe((e) => errors.push(e));
      await r.register(flaky);
      await r.register(healthy.projector);
      const { seq } = await create('x');
      await r.waitFor(seq, { projectors: ['healthy'] });
      await r.waitFor(seq, { timeoutMs: 2000 });
      expect(errors.map((e) => [e.name, e.attempts, e.fromSeq])).toEqual([
        ['flaky', 1, 1],
        ['flaky', 2, 1],
        ['flaky', 3, 1],
      ]);
      expect(failing.gen(1).applied).toEqual([1]);
    });

    it('times out waitFor with a timeout error naming the laggard', async () => {
      const stuck: Projector = { name: 'stuck', version: 1, apply: () => Promise.reject(new Error('no')) };
      const r = runtime();
      await r.register(stuck);
      const { seq } = await create('x');
      const error = await r.waitFor(seq, { timeoutMs: 50 }).catch((e) => e);
      expect(error.code).toBe('timeout');
      expect(error.message).toContain('stuck at 0');
      expect((await r.status())[0]).toMatchObject({ state: 'retrying', lastError: { message: 'no' } });
    });

    it('rebuilds into a new generation while the old one serves, then swaps and drops the old', async () => {
      const { projector, generations, gen } = memoryProjection('rebuilt');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow: Projector = {
        ...projector,
        async apply(batch, ctx) {
          if (ctx.generation === 2) await gate;
          return projector.apply(batch, ctx);
        },
      };
      const r = runtime();
      await r.register(slow);
      for (let i = 0; i < 15; i++) await create(`p${i}`);
      await r.waitFor(15);
      const rebuilt = r.rebuild('rebuilt');
      // wait (bounded) until the new generation is being built: it is gated, so it cannot finish
      for (let i = 0; i < 200 && !(await r.status())[0]!.rebuilding; i++)
        await new Promise((res) => setTimeout(res, 10));
      expect(r.generation('rebuilt')).toBe(1);
      expect(gen(1).live.size).toBe(15);
      expect((await r.status())[0]!.rebuilding).toMatchObject({ generation: 2 });
      release();
      await rebuilt;
      expect(r.generation('rebuilt')).toBe(2);
      expect(generations.has(1)).toBe(false);
      expect(gen(2).applied).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      const { seq } = await create('after');
      await r.waitFor(seq);
      expect(gen(2).live.has('Patient/after')).toBe(true);
    });

    it('rebuilds when the projector version changes', async () => {
      const v1 = memoryProjection('versioned', 1);
      const r1 = runtime();
      await r1.register(v1.projector);
      await create('a');
      await r1.waitFor(1);
      await r1.stop();
      const v2 = memoryProjection('versioned', 2);
      const r2 = runtime();
      await r2.register(v2.projector);
      expect(r2.generation('versioned')).toBe(1);
      await r2.rebuild('versioned');
      expect(r2.generation('versioned')).toBe(2);
      expect(v2.gen(2).applied).toEqual([1]);
      expect((await r2.status())[0]!.version).toBe(2);
    });

    it('refuses to register the same name twice', async () => {
      const r = runtime();
      await r.register(memoryProjection('once').projector);
      expect(await errorCodeOf(r.register(memoryProjection('once').projector))).toBe('invalid');
    });
  });
}
