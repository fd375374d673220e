import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent } from '../store/types.js';
import { type ConformanceOptions, collect, openFixtureStore } from './fixture.js';

/** The change log and `changes$`: replay then live, no gap, no duplicate. */
export function describeChangeStream(options: ConformanceOptions): void {
  describe(`change stream [${options.name}]`, () => {
    let store: ResourceStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await openFixtureStore(options));
    });
    afterEach(async () => dispose());

    const createPatients = (n: number) =>
      store.commit(
        Array.from({ length: n }, () => ({
          op: 'create' as const,
          resource: { resourceType: 'Patient' as const },
        })),
      );

    it('reads the log by position with a limit, and carries the resource of each version', async () => {
      await createPatients(5);
      const events = await store.readChanges(2, 3);
      expect(events.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(events[0]!.resource).toMatchObject({
        resourceType: 'Patient',
        id: events[0]!.id,
        meta: { versionId: '1' },
      });
      expect(events[0]!.action).toBe('create');
      expect(await store.readChanges(6)).toEqual([]);
      expect((await collect(store.changes(4))).map((e) => e.seq)).toEqual([4, 5]);
    });

    it('knows the seq covering the writes of given types (and the head without types)', async () => {
      await createPatients(2);
      const { seq: obs } = await store.commit([
        { op: 'create', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } },
      ]);
      await createPatients(1);
      expect(await store.seqCovering()).toBe(4);
      if (store.capabilities.multiProcess) {
        // another process may have written any type: the head is the only safe answer
        expect(await store.seqCovering(['Observation'])).toBe(4);
        return;
      }
      expect(await store.seqCovering(['Observation'])).toBe(obs);
      expect(await store.seqCovering(['Patient'])).toBe(4);
      expect(await store.seqCovering(['Encounter'])).toBe(0);
    });

    it('serializes an event to plain JSON with its resource', async () => {
      await createPatients(1);
      const [event] = await store.readChanges(1);
      const json = JSON.parse(JSON.stringify(event));
      expect(json).toMatchObject({ seq: 1, action: 'create', resourceType: 'Patient', versionId: '1' });
      expect(json.resource.id).toBe(event!.id);
    });

    it('replays from a seq and continues live with no gap and no duplicate', async () => {
      await createPatients(30);
      const seen: ChangeEvent[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const sub = store.changes$(11, { batchSize: 7 }).subscribe({
          next: (e) => {
            seen.push(e);
            if (seen.length === 60) {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      // live commits racing with the replay
      await Promise.all(Array.from({ length: 20 }, () => createPatients(2)));
      await done;
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 11));
    });

    it('delivers commits made after subscribing when the log was empty', async () => {
      const first = firstValueFrom(store.changes$().pipe(take(3), toArray()));
      await createPatients(1);
      await createPatients(2);
      expect((await first).map((e) => e.seq)).toEqual([1, 2, 3]);
    });
  });
}
