import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLmdbStore } from '@fhirstream/lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { SubscriptionLedger } from './ledger.js';
import {
  eventNumbers,
  focusRefs,
  restHookSubscription,
  startApp,
  startReceiver,
  type TestApp,
  typeOf,
  until,
} from './testing/harness.js';

const patient = (family: string) => ({ resourceType: 'Patient', name: [{ family }] });

describe('durable numbering and delivery', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('a restart mid-stream neither loses nor renumbers notifications', async () => {
    const hook = await startReceiver();
    cleanup.push(() => hook.close());
    let app: TestApp = await startApp();
    const dir = app.dir;
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const sub = await app.request('Subscription', {
      body: restHookSubscription('Patient?family=Restart', hook.url),
    });
    const id = sub.body.id;
    await hook.waitFor((r) => r.length === 1);
    const written: string[] = [];
    // Some delivered, then the receiver goes down and more are written.
    for (let i = 0; i < 4; i++)
      written.push((await app.request('Patient', { body: patient('Restart') })).body.id);
    await hook.waitFor((r) => r.flatMap((x) => eventNumbers(x.bundle)).length === 4);
    await hook.down();
    for (let i = 0; i < 4; i++)
      written.push((await app.request('Patient', { body: patient('Restart') })).body.id);
    await until(async () => (await app.engine.state(id))!.eventsSinceStart === 8);
    const before = await app.request(`Subscription/${id}/$events?eventsSinceNumber=1&eventsUntilNumber=8`);
    await app.stop();

    // Writes while the subscription engine is down are picked up from the log on restart.
    const offline = openLmdbStore({ path: dir, durability: 'committed' });
    const { results } = await offline.commit([{ op: 'create', resource: patient('Restart') as never }]);
    written.push(results[0]!.id);
    await offline.close();

    app = await startApp({ dir });
    cleanup.push(() => app.stop());
    for (let i = 0; i < 3; i++)
      written.push((await app.request('Patient', { body: patient('Restart') })).body.id);
    await until(
      async () => (await app.engine.state(id))?.eventsSinceStart === 12,
      10_000,
      'numbered after restart',
    );
    const after = await app.request(`Subscription/${id}/$events?eventsSinceNumber=1&eventsUntilNumber=8`);
    // Same numbers for the same writes (the base URL changed with the port, the ids did not).
    const idsOf = (b: any) => focusRefs(b).map((r) => r.split('/').pop());
    expect(idsOf(after.body)).toEqual(idsOf(before.body));
    await hook.up();
    await hook.waitFor((r) => new Set(r.flatMap((x) => eventNumbers(x.bundle))).size === 12, 15_000);
    const notifications = hook.received.filter((x) => typeOf(x.bundle) === 'event-notification');
    const numbers = notifications.flatMap((x) => eventNumbers(x.bundle));
    // At-least-once: a notification may repeat, but numbers are contiguous, ordered, and always name the same write.
    expect([...new Set(numbers)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const byNumber = new Map<number, string>();
    for (const n of notifications)
      eventNumbers(n.bundle).forEach((num, i) => {
        const focus = focusRefs(n.bundle)[i]!.split('/').pop()!;
        expect(byNumber.get(num) ?? focus).toBe(focus);
        byNumber.set(num, focus);
      });
    expect([...byNumber.keys()].sort((a, b) => a - b).map((k) => byNumber.get(k))).toEqual(written);
    // No second handshake after the restart: the subscription was already active.
    expect(hook.received.filter((x) => typeOf(x.bundle) === 'handshake')).toHaveLength(1);
  });

  it('replaying the log from seq 1 (a lost projector checkpoint) renumbers nothing', async () => {
    const hook = await startReceiver();
    cleanup.push(() => hook.close());
    let app = await startApp();
    const dir = app.dir;
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const sub = await app.request('Subscription', {
      body: restHookSubscription('Patient?family=Replay', hook.url),
    });
    for (let i = 0; i < 5; i++) await app.request('Patient', { body: patient('Replay') });
    await hook.waitFor((r) => r.flatMap((x) => eventNumbers(x.bundle)).length === 5);
    await app.stop();
    const raw = openLmdbStore({ path: dir, durability: 'committed' });
    for (const [key] of await raw.checkpoints.list('projector/subscriptions'))
      await raw.checkpoints.set(key, { ...(await raw.checkpoints.get(key))!, seq: 0 });
    await raw.close();
    app = await startApp({ dir });
    cleanup.push(() => app.stop());
    await app.request('Patient', { body: patient('Replay') });
    await hook.waitFor((r) => r.flatMap((x) => eventNumbers(x.bundle)).includes(6));
    await new Promise((r) => setTimeout(r, 100));
    expect(hook.received.flatMap((x) => eventNumbers(x.bundle))).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await app.engine.state(sub.body.id))!.eventsSinceStart).toBe(6);
  });

  it('the ledger survives a crash between its chunk and numbering writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fhirstream-ledger-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    let store = openLmdbStore({ path: dir, durability: 'committed' });
    let ledger = new SubscriptionLedger(store.checkpoints);
    await ledger.append(new Map([['s', [3, 5]]]));
    // Crash: the chunk of the next batch is written, its numbering record is not.
    await store.checkpoints.set('subscription/s/events/0', { seq: 9, seqs: [3, 5, 7, 9] });
    await store.close();
    store = openLmdbStore({ path: dir, durability: 'committed' });
    ledger = new SubscriptionLedger(store.checkpoints);
    await ledger.load('s');
    expect(ledger.eventCount('s')).toBe(2);
    expect(ledger.lastSeq('s')).toBe(5);
    await ledger.append(new Map([['s', [7, 9]]])); // the replay numbers the same writes the same way
    expect(await ledger.eventSeqs('s', 1, 10)).toEqual([3, 5, 7, 9]);
    // Chunk boundaries.
    await ledger.append(new Map([['s', Array.from({ length: 1100 }, (_, i) => 10 + i)]]));
    expect(ledger.eventCount('s')).toBe(1104);
    // Event n > 4 is seq 10 + (n - 5).
    expect(await ledger.eventSeqs('s', 510, 515)).toEqual([515, 516, 517, 518, 519, 520]);
    await store.close();
  });
});
