import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore, type ResourceStore } from '../store/create-store.js';
import { type BackendFixture, type ConformanceOptions, collect, openFixtureStore } from './fixture.js';

/** Reads: read, vread, history with paging, checkpoints, persistence. */
export function describeStoreReads(options: ConformanceOptions): void {
  describe(`store reads [${options.name}]`, () => {
    let store: ResourceStore;
    let fixture: BackendFixture;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, fixture, dispose } = await openFixtureStore(options));
    });
    afterEach(async () => dispose());

    /** p1 v1..v3 (v3 a delete), o1 v1, p2 v1 — seqs 1..5 */
    const seed = async () => {
      await store.commit([{ op: 'update', resource: { resourceType: 'Patient', id: 'p1', gender: 'male' } }]);
      await store.commit([
        { op: 'update', resource: { resourceType: 'Patient', id: 'p1', gender: 'female' } },
      ]);
      await store.commit([
        {
          op: 'update',
          resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } },
        },
      ]);
      await store.commit([{ op: 'delete', resourceType: 'Patient', id: 'p1' }]);
      await store.commit([{ op: 'update', resource: { resourceType: 'Patient', id: 'p2' } }]);
    };

    it('reads undefined for what never existed', async () => {
      expect(await store.read('Patient', 'nope')).toBeUndefined();
      expect(await store.readVersion('Patient', 'nope', '1')).toBeUndefined();
    });

    it('reads every version by versionId, and nothing for unknown or malformed ones', async () => {
      await seed();
      expect((await store.readVersion('Patient', 'p1', '1'))!.resource).toMatchObject({ gender: 'male' });
      expect((await store.readVersion('Patient', 'p1', '2'))!.resource).toMatchObject({ gender: 'female' });
      expect(await store.readVersion('Patient', 'p1', '3')).toMatchObject({ deleted: true, seq: 4 });
      for (const vid of ['4', '0', '01', '1.0', 'abc', '-1']) {
        expect(await store.readVersion('Patient', 'p1', vid)).toBeUndefined();
      }
    });

    it('gives instance, type and system history newest first', async () => {
      await seed();
      const instance = await collect(store.history({ resourceType: 'Patient', id: 'p1' }));
      expect(instance.map((v) => [v.versionId, v.deleted])).toEqual([
        ['3', true],
        ['2', false],
        ['1', false],
      ]);
      const type = await collect(store.history({ resourceType: 'Patient' }));
      expect(type.map((v) => `${v.id}/${v.versionId}`)).toEqual(['p2/1', 'p1/3', 'p1/2', 'p1/1']);
      const system = await collect(store.history());
      expect(system.map((v) => v.seq)).toEqual([5, 4, 3, 2, 1]);
      expect(await collect(store.history({ resourceType: 'Encounter' }))).toEqual([]);
    });

    it('pages history with count and the before cursor, stable while writes continue', async () => {
      await seed();
      const page1 = await collect(store.history({ count: 2 }));
      expect(page1.map((v) => v.seq)).toEqual([5, 4]);
      await store.commit([{ op: 'update', resource: { resourceType: 'Patient', id: 'p3' } }]);
      const page2 = await collect(store.history({ count: 2, before: page1[1]!.seq }));
      expect(page2.map((v) => v.seq)).toEqual([3, 2]);
      const typePage = await collect(store.history({ resourceType: 'Patient', count: 2, before: 4 }));
      expect(typePage.map((v) => v.seq)).toEqual([2, 1]);
      const instPage = await collect(store.history({ resourceType: 'Patient', id: 'p1', before: 3 }));
      expect(instPage.map((v) => v.versionId)).toEqual(['2', '1']);
    });

    it('filters history by _since (lastUpdated >= since)', async () => {
      let clock = Date.parse('2030-01-01T00:00:00Z');
      const { store: s, dispose: d } = await openFixtureStore(options, { now: () => (clock += 60_000) });
      try {
        for (let i = 0; i < 4; i++)
          await s.commit([{ op: 'update', resource: { resourceType: 'Patient', id: 'p' } }]);
        const since = '2030-01-01T00:03:00.000Z';
        const versions = await collect(s.history({ since }));
        expect(versions.map((v) => v.lastUpdated)).toEqual(['2030-01-01T00:04:00.000Z', since]);
        expect((await collect(s.history({ resourceType: 'Patient', id: 'p', since }))).length).toBe(2);
        expect((await collect(s.history({ resourceType: 'Patient', since }))).length).toBe(2);
      } finally {
        await d();
      }
    });

    it('keeps durable checkpoints by name, with listing by prefix', async () => {
      const cps = store.checkpoints;
      expect(await cps.get('a')).toBeUndefined();
      await cps.set('proj/a', { seq: 3, note: 'x' });
      await cps.set('proj/b', { seq: 5 });
      await cps.set('other', { seq: 1 });
      expect(await cps.get('proj/a')).toEqual({ seq: 3, note: 'x' });
      expect((await cps.list('proj/')).map(([k, v]) => [k, v.seq])).toEqual([
        ['proj/a', 3],
        ['proj/b', 5],
      ]);
      await cps.delete('proj/a');
      expect(await cps.get('proj/a')).toBeUndefined();
      expect((await cps.list()).length).toBe(2);
    });

    it('keeps everything across close and reopen', async () => {
      if (!fixture.reopen) return;
      await seed();
      await store.checkpoints.set('c', { seq: 4 });
      await store.close();
      const reopened = createStore(await fixture.reopen());
      try {
        expect(await reopened.headSeq()).toBe(5);
        expect((await reopened.read('Patient', 'p2'))!.versionId).toBe('1');
        expect((await reopened.readChanges(1)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(await reopened.checkpoints.get('c')).toEqual({ seq: 4 });
        const next = await reopened.commit([
          { op: 'update', resource: { resourceType: 'Patient', id: 'p2' } },
        ]);
        expect(next.seq).toBe(6);
      } finally {
        await reopened.close();
      }
    });
  });
}
