import { createStore, type StoredVersion } from '@fhirstream/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './migrations.js';
import { openPostgresBackend, type PostgresBackend } from './postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema, suiteTitle } from './test-database.js';

describe.skipIf(!POSTGRES_URL)(suiteTitle('postgres backend'), () => {
  let schema: string;
  const opened: PostgresBackend[] = [];
  const open = async () => {
    const backend = await openPostgresBackend({ connectionString: POSTGRES_URL!, schema, maxConnections: 3 });
    opened.push(backend);
    return backend;
  };
  beforeEach(() => {
    schema = randomSchema();
  });
  afterEach(async () => {
    for (const b of opened.splice(0)) await b.close();
    await dropSchema(schema);
  });

  it('creates its schema once, even when opened concurrently, and records the migration', async () => {
    await Promise.all([open(), open(), open()]);
    const { rows } = await opened[0]!.pool.query(`SELECT version FROM ${opened[0]!.tables.migrations}`);
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    expect(opened[0]!.capabilities).toEqual({
      name: 'postgres',
      durable: true,
      multiProcess: true,
      transactionalCheckpoints: true,
    });
  });

  it('serves the body bytes exactly as committed', async () => {
    const store = createStore(await open());
    const { results } = await store.commit([
      { op: 'create', resource: { resourceType: 'Patient', name: [{ text: 'Zoë ☃ 𝄞 "q" \\ \u0001' }] } },
    ]);
    const written = results[0]!.stored!.body!;
    const read = await store.read('Patient', results[0]!.id);
    expect(Buffer.from(read!.body!).equals(Buffer.from(written))).toBe(true);
    const [event] = await store.readChanges(1);
    expect(Buffer.from((event as StoredVersion).body!).equals(Buffer.from(written))).toBe(true);
    expect(read!.resource).toMatchObject({ name: [{ text: 'Zoë ☃ 𝄞 "q" \\ \u0001' }] });
  });

  it('wakes watchers of another backend (another process) through NOTIFY with the last seq', async () => {
    const writer = createStore(await open());
    const follower = createStore(await open());
    const woken: number[] = [];
    follower.commits$.subscribe((seq) => woken.push(seq));
    const create = () => writer.commit([{ op: 'create', resource: { resourceType: 'Patient' } }]);
    // commit until the follower's LISTEN connection is up and the first wake-up arrived
    await expect
      .poll(
        async () => {
          await create();
          return woken.length;
        },
        { timeout: 5000, interval: 50 },
      )
      .toBeGreaterThan(0);
    await expect.poll(async () => woken.at(-1) === (await writer.headSeq()), { timeout: 2000 }).toBe(true);
    woken.length = 0;
    const head = await writer.headSeq();
    await writer.commit([
      { op: 'create', resource: { resourceType: 'Patient' } },
      { op: 'create', resource: { resourceType: 'Patient' } },
    ]);
    await create();
    await expect.poll(() => woken, { timeout: 2000 }).toEqual([head + 2, head + 3]);
  });

  it('runs transaction(fn) atomically: committed when fn resolves, rolled back when it throws', async () => {
    const backend = await open();
    await backend.transaction((c) => backend.checkpoints.set('a', { seq: 1 }, c));
    const failing = backend.transaction(async (c) => {
      await backend.checkpoints.set('b', { seq: 2 }, c);
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect((await backend.checkpoints.list()).map(([name]) => name)).toEqual(['a']);
  });
});
