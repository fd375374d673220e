import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFhirServer, createStore, type Projector } from '@fhirstream/core';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { createFhirHandler } from './handler.js';
import { inProcessClient } from './in-process.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server whose search index applies nothing until `open()` is called. */
async function gatedServer(limits: { maxProjectionLag: number; consistencyTimeoutMs: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'fhirstream-backpressure-'));
  const backend = openLmdbBackend({ path: dir, durability: 'committed' });
  const store = createStore(backend);
  const engine = createLmdbSearchEngine({ backend, store });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const index = engine.indexProjector as Projector;
  const gated: Projector = {
    ...index,
    apply: async (batch, ctx) => {
      await gate;
      return index.apply(batch, ctx);
    },
  };
  const server = await createFhirServer({ store, search: { ...engine, projectors: [gated] }, limits });
  cleanups.push(async () => {
    open();
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { client: inProcessClient(createFhirHandler(server)), store, open };
}

const patient = { resourceType: 'Patient', gender: 'female' };

describe('write backpressure (maxProjectionLag)', () => {
  it('holds a write back while the index lags too far, answers 503 when it does not catch up, and writes nothing', async () => {
    const { client, store } = await gatedServer({ maxProjectionLag: 3, consistencyTimeoutMs: 300 });
    for (let i = 0; i < 4; i++)
      expect((await client.json('/Patient', { method: 'POST', body: patient })).status).toBe(201);
    const started = Date.now();
    const held = await client.json('/Patient', { method: 'POST', body: patient });
    expect(held.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(JSON.stringify(held.body)).toContain('behind');
    // 300 ms timeout: retry after at least a second.
    expect(held.headers.get('retry-after')).toBe('1');
    expect(await store.headSeq()).toBe(4);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'POST', url: 'Patient' }, resource: patient }],
    };
    const heldBundle = await client.json('/', { method: 'POST', body: bundle });
    expect(heldBundle.status).toBe(503);
    expect(heldBundle.headers.get('retry-after')).toBe('1');
    expect(await store.headSeq()).toBe(4);
  });

  it('lets the held write through as soon as the index catches up', async () => {
    const { client, store, open } = await gatedServer({ maxProjectionLag: 2, consistencyTimeoutMs: 10_000 });
    for (let i = 0; i < 3; i++) await client.json('/Patient', { method: 'POST', body: patient });
    let answered = false;
    const held = client.json('/Patient', { method: 'POST', body: patient }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    expect(await store.headSeq()).toBe(3);
    open();
    expect((await held).status).toBe(201);
    expect(await store.headSeq()).toBe(4);
    const found = await client.json('/Patient?gender=female&_summary=count');
    expect(found.body).toMatchObject({ total: 4 });
  });
});
