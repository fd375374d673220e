import { randomBytes } from 'node:crypto';
import { createStore, type Projector, type ResourceStore } from '@fhirstream/core';
import { openPostgresBackend, type PostgresBackend, quoteIdent } from '@fhirstream/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteProjection, watchRemoteProjections } from './remote-projections.js';

const POSTGRES_URL = process.env.FHIRSTREAM_POSTGRES_URL;
const title = POSTGRES_URL
  ? 'watchRemoteProjections (api role read-your-writes)'
  : 'watchRemoteProjections (skipped: FHIRSTREAM_POSTGRES_URL not set)';

describe.skipIf(!POSTGRES_URL)(title, () => {
  const schema = `fs_test_${randomBytes(6).toString('hex')}`;
  let backend: PostgresBackend;
  let store: ResourceStore;

  beforeAll(async () => {
    backend = await openPostgresBackend({ connectionString: POSTGRES_URL!, schema });
    store = createStore(backend);
  });
  afterAll(async () => {
    await backend.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await store.close();
  });

  it('activates the workers’ generation and resolves waitFor when their shared checkpoint passes the seq', async () => {
    const activated: number[] = [];
    const projector: Projector = {
      name: 'search-index',
      version: 3,
      apply: async () => {
        throw new Error('an api process must never apply');
      },
      reset: async () => {
        throw new Error('an api process must never reset');
      },
      activate: (g) => void activated.push(g),
    };
    const runtime = watchRemoteProjections(store, { pollIntervalMs: 5 });
    try {
      await runtime.register(projector);
      expect(activated).toEqual([3]);
      expect(runtime.generation('search-index')).toBe(3);
      const { checkpointKey } = remoteProjection(projector);
      expect(checkpointKey).toBe('remote/search-index-v3');

      let reached = false;
      const waiting = runtime.waitFor(2, { timeoutMs: 5000 }).then(() => (reached = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(reached).toBe(false);
      await store.checkpoints.set(checkpointKey, { seq: 1 });
      await new Promise((r) => setTimeout(r, 50));
      expect(reached).toBe(false);
      await store.checkpoints.set(checkpointKey, { seq: 2 });
      await waiting;
      expect(reached).toBe(true);

      await expect(runtime.waitFor(9, { timeoutMs: 60 })).rejects.toMatchObject({ code: 'timeout' });
      await expect(runtime.rebuild('search-index')).rejects.toMatchObject({ code: 'not-supported' });
      const [status] = await runtime.status();
      expect(status).toMatchObject({ name: 'search-index', generation: 3, checkpoint: 2 });
    } finally {
      await runtime.stop();
    }
  });
});
