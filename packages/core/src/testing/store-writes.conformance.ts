import type { Patient } from 'fhir/r4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceStore } from '../store/create-store.js';
import { type ConformanceOptions, errorCodeOf, openFixtureStore } from './fixture.js';

const patient = <T extends Partial<Patient>>(extra?: T): Patient & T => ({
  resourceType: 'Patient',
  active: true,
  ...(extra as T),
});

/** Commits: ids, versions, preconditions, atomicity, input checks. */
export function describeStoreWrites(options: ConformanceOptions): void {
  describe(`store writes [${options.name}]`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await openFixtureStore(options));
    });
    afterEach(async () => dispose());

    it('creates with a server-assigned id, version 1, meta stamped, and returns its seq', async () => {
      const result = await store.commit([
        { op: 'create', resource: patient({ meta: { versionId: '9', tag: [{ code: 't' }] } }) },
      ]);
      const [created] = result.results;
      expect(created!.outcome).toBe('created');
      expect(created!.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
      expect(result.seq).toBe(1);
      const read = await store.read('Patient', created!.id);
      expect(read!.versionId).toBe('1');
      expect(read!.deleted).toBe(false);
      expect(read!.resource).toMatchObject({ resourceType: 'Patient', id: created!.id, active: true });
      expect(read!.resource!.meta).toEqual({
        versionId: '1',
        lastUpdated: read!.lastUpdated,
        tag: [{ code: 't' }],
      });
      expect(JSON.parse(new TextDecoder().decode(read!.body))).toEqual(read!.resource);
      expect(read!.lastUpdated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('updates to the next version, and update-as-create makes version 1', async () => {
      const first = await store.commit([{ op: 'update', resource: patient({ id: 'p1' }) }]);
      expect(first.results[0]!.outcome).toBe('created');
      expect(first.results[0]!.stored!.versionId).toBe('1');
      const second = await store.commit([{ op: 'update', resource: patient({ id: 'p1', active: false }) }]);
      expect(second.results[0]!.outcome).toBe('updated');
      expect(second.results[0]!.stored!.versionId).toBe('2');
      expect((await store.read('Patient', 'p1'))!.resource).toMatchObject({
        active: false,
        meta: { versionId: '2' },
      });
    });

    it('rejects a create of an existing id with already-exists and writes nothing', async () => {
      await store.commit([{ op: 'create', id: 'dup', resource: patient() }]);
      expect(await errorCodeOf(store.commit([{ op: 'create', id: 'dup', resource: patient() }]))).toBe(
        'already-exists',
      );
      expect(await store.headSeq()).toBe(1);
    });

    it('honours If-Match: the right version wins, a stale one is a version-conflict', async () => {
      await store.commit([{ op: 'update', resource: patient({ id: 'p' }) }]);
      const stale = store.commit([{ op: 'update', resource: patient({ id: 'p' }), ifMatch: '2' }]);
      expect(await errorCodeOf(stale)).toBe('version-conflict');
      const ok = await store.commit([{ op: 'update', resource: patient({ id: 'p' }), ifMatch: '1' }]);
      expect(ok.results[0]!.stored!.versionId).toBe('2');
      expect(
        await errorCodeOf(store.commit([{ op: 'delete', resourceType: 'Patient', id: 'p', ifMatch: '1' }])),
      ).toBe('version-conflict');
      expect(
        await errorCodeOf(store.commit([{ op: 'update', resource: patient({ id: 'nope' }), ifMatch: '1' }])),
      ).toBe('version-conflict');
    });

    it('mustExist refuses to create: not-found, or gone after a delete', async () => {
      expect(
        await errorCodeOf(store.commit([{ op: 'update', resource: patient({ id: 'x' }), mustExist: true }])),
      ).toBe('not-found');
      await store.commit([{ op: 'update', resource: patient({ id: 'x' }) }]);
      await store.commit([{ op: 'delete', resourceType: 'Patient', id: 'x' }]);
      expect(
        await errorCodeOf(store.commit([{ op: 'update', resource: patient({ id: 'x' }), mustExist: true }])),
      ).toBe('gone');
    });

    it('deletes as a tombstone version; a second delete is a no-op; writing again continues the versions', async () => {
      await store.commit([{ op: 'update', resource: patient({ id: 'd' }) }]);
      const del = await store.commit([{ op: 'delete', resourceType: 'Patient', id: 'd' }]);
      expect(del.results[0]!.outcome).toBe('deleted');
      const tomb = await store.read('Patient', 'd');
      expect(tomb).toMatchObject({ deleted: true, versionId: '2', resource: undefined, body: undefined });
      const again = await store.commit([{ op: 'delete', resourceType: 'Patient', id: 'd' }]);
      expect(again.results[0]!.outcome).toBe('noop');
      expect(again.seq).toBe(2);
      const missing = await store.commit([{ op: 'delete', resourceType: 'Patient', id: 'never' }]);
      expect(missing.results[0]!.outcome).toBe('noop');
      const back = await store.commit([{ op: 'update', resource: patient({ id: 'd' }) }]);
      expect(back.results[0]).toMatchObject({ outcome: 'created', stored: { versionId: '3' } });
      expect((await store.readChanges(1)).map((e) => e.action)).toEqual(['create', 'delete', 'create']);
    });

    it('commits a write set atomically: one failing op writes nothing at all', async () => {
      await store.commit([{ op: 'update', resource: patient({ id: 'a' }) }]);
      const failing = store.commit([
        { op: 'create', resource: patient() },
        { op: 'update', resource: patient({ id: 'b' }) },
        { op: 'update', resource: patient({ id: 'a' }), ifMatch: '7' },
      ]);
      expect(await errorCodeOf(failing)).toBe('version-conflict');
      expect(await store.headSeq()).toBe(1);
      expect(await store.read('Patient', 'b')).toBeUndefined();
      expect(await store.readChanges(1)).toHaveLength(1);
    });

    it('gives the events of one commit contiguous seqs and one txId', async () => {
      await store.commit([{ op: 'create', resource: patient() }]);
      const tx = await store.commit({
        txId: 'my-tx',
        ops: [
          { op: 'create', resource: patient() },
          { op: 'create', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } },
          { op: 'delete', resourceType: 'Patient', id: 'absent' },
        ],
      });
      expect(tx.txId).toBe('my-tx');
      expect(tx.seq).toBe(3);
      const events = await store.readChanges(2);
      expect(events.map((e) => [e.seq, e.txId])).toEqual([
        [2, 'my-tx'],
        [3, 'my-tx'],
      ]);
    });

    it('rejects malformed input with invalid and writes nothing', async () => {
      const bad = [
        [{ op: 'create', resource: { resourceType: 'patient' } }],
        [{ op: 'create', resource: { active: true } }],
        [{ op: 'update', resource: { resourceType: 'Patient', id: 'a/b' } }],
        [{ op: 'update', resource: { resourceType: 'Patient' } }],
        [{ op: 'delete', resourceType: 'Patient', id: '' }],
        [{ op: 'frobnicate' }],
        [
          { op: 'update', resource: { resourceType: 'Patient', id: 'same' } },
          { op: 'delete', resourceType: 'Patient', id: 'same' },
        ],
      ];
      for (const ops of bad) {
        // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
        expect(await errorCodeOf(store.commit(ops as any))).toBe('invalid');
      }
      expect(await store.headSeq()).toBe(0);
    });

    it('lets exactly one of 20 concurrent updates with the same If-Match win', async () => {
      await store.commit([{ op: 'update', resource: patient({ id: 'race' }) }]);
      const attempts = Array.from({ length: 20 }, (_, i) =>
        errorCodeOf(
          store.commit([
            {
              op: 'update',
              resource: patient({ id: 'race', gender: i % 2 ? 'male' : 'female' }),
              ifMatch: '1',
            },
          ]),
        ),
      );
      const codes = await Promise.all(attempts);
      expect(codes.filter((c) => c === 'resolved')).toHaveLength(1);
      expect(codes.filter((c) => c === 'version-conflict')).toHaveLength(19);
      expect((await store.read('Patient', 'race'))!.versionId).toBe('2');
    });

    it('keeps seq gap-free and each commit contiguous under 50 concurrent commits', async () => {
      const commits = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.commit({
            txId: `t${i}`,
            ops: [
              { op: 'create', resource: patient() },
              { op: 'create', resource: patient() },
            ],
          }),
        ),
      );
      const events = await store.readChanges(1, 1000);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      for (const c of commits) {
        const mine = events.filter((e) => e.txId === c.txId);
        expect(mine.map((e) => e.seq)).toEqual([c.seq - 1, c.seq]);
      }
    });

    it('never moves lastUpdated backwards, even when the clock does', async () => {
      let clock = Date.parse('2030-01-01T00:00:10Z');
      const { store: s, dispose: d } = await openFixtureStore(options, { now: () => (clock -= 1000) });
      try {
        for (let i = 0; i < 3; i++) await s.commit([{ op: 'create', resource: patient() }]);
        const stamps = (await s.readChanges(1)).map((e) => e.lastUpdated);
        expect(stamps).toEqual([stamps[0], stamps[0], stamps[0]]);
      } finally {
        await d();
      }
    });

    it('refuses commits after close', async () => {
      const { store: s, dispose: d } = await openFixtureStore(options);
      await d();
      expect(await errorCodeOf(s.commit([{ op: 'create', resource: patient() }]))).toBe('closed');
    });
  });
}
