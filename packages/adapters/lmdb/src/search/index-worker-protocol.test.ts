import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@fhirstream/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openLmdbBackend } from '../lmdb-backend.js';
import { fromWire, logRange, readLogRange, toWire } from './index-worker-protocol.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function storeWith(n: number) {
  const path = mkdtempSync(join(tmpdir(), 'fhirstream-wire-'));
  dirs.push(path);
  const backend = openLmdbBackend({ path, durability: 'committed' });
  const store = createStore(backend);
  await store.commit(
    Array.from({ length: n }, (_, i) => ({
      op: 'create' as const,
      resource: { resourceType: 'Patient', gender: i % 2 ? 'male' : 'female' },
    })),
  );
  return { backend, store };
}

const genderOf = (e: { resource?: object }) => (e.resource as { gender?: string } | undefined)?.gender;

describe('index worker protocol', () => {
  it('sends consecutive log entries as their seq range, and the worker reads the same events back', async () => {
    const { backend, store } = await storeWith(5);
    const events = await store.readChanges(2, 3);
    const range = logRange({ generation: 1, lastSeq: 4, events });
    expect(range).toEqual({ generation: 1, fromSeq: 2, lastSeq: 4 });
    const read = await readLogRange(backend, range!);
    expect(read.events.map((e) => [e.seq, e.id, genderOf(e)])).toEqual(
      events.map((e) => [e.seq, e.id, genderOf(e)]),
    );
    await store.close();
  });

  it('ships the bodies of a batch with a gap, and refuses a range the log does not hold', async () => {
    const { backend, store } = await storeWith(4);
    const events = await store.readChanges(1, 4);
    const gapped = [events[0]!, events[2]!, events[3]!];
    expect(logRange({ generation: 1, lastSeq: 4, events: gapped })).toBeUndefined();
    const shipped = fromWire(toWire({ generation: 1, lastSeq: 4, events: gapped }));
    expect(shipped.events.map((e) => [e.seq, genderOf(e)])).toEqual(gapped.map((e) => [e.seq, genderOf(e)]));
    await expect(readLogRange(backend, { generation: 1, fromSeq: 3, lastSeq: 9 })).rejects.toThrow(
      /does not hold seq 3–9/,
    );
    await store.close();
  });
});
