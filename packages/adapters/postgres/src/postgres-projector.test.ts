import { createProjectorRuntime, createStore, type ResourceStore } from '@fhirstream/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresBackend, type PostgresBackend } from './postgres-backend.js';
import { type PostgresProjector, postgresProjector } from './postgres-projector.js';
import { dropSchema, POSTGRES_URL, randomSchema, suiteTitle } from './test-database.js';

describe.skipIf(!POSTGRES_URL)(suiteTitle('postgresProjector'), () => {
  let schema: string;
  let backend: PostgresBackend;
  let store: ResourceStore;
  beforeEach(async () => {
    schema = randomSchema();
    backend = await openPostgresBackend({ connectionString: POSTGRES_URL!, schema, maxConnections: 4 });
    store = createStore(backend);
  });
  afterEach(async () => {
    await store.close();
    await dropSchema(schema);
  });

  /** Counts versions per type; NOT idempotent, so a replayed batch would show. */
  const countsProjector = (version = 1, fail?: () => boolean): PostgresProjector => {
    const p: PostgresProjector = postgresProjector(backend, {
      name: 'counts',
      version,
      async create(client, g) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${p.table('n', g)} (type text PRIMARY KEY, n int NOT NULL)`,
        );
      },
      async drop(client, g) {
        await client.query(`DROP TABLE IF EXISTS ${p.table('n', g)}`);
      },
      project: (batch, ctx) => async (client) => {
        await client.query(
          `INSERT INTO ${p.table('n', ctx.generation)} (type, n)
           SELECT type, count(*) FROM unnest($1::text[]) AS t(type) GROUP BY type
           ON CONFLICT (type) DO UPDATE SET n = ${p.table('n', ctx.generation)}.n + EXCLUDED.n`,
          [batch.map((e) => e.resourceType)],
        );
        if (fail?.()) throw new Error('crash after writing, before commit');
      },
    });
    return p;
  };
  const countsOf = async (p: PostgresProjector, generation?: number) => {
    const { rows } = await backend.pool.query<{ type: string; n: number }>(
      `SELECT type, n FROM ${p.table('n', generation)} ORDER BY type`,
    );
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  };
  const seed = (n: number, type = 'Patient') =>
    store.commit(
      Array.from({ length: n }, () => ({ op: 'create' as const, resource: { resourceType: type } })),
    );

  it('writes its rows and its checkpoint in one transaction, and a failed batch leaves neither', async () => {
    let failures = 2;
    const p = countsProjector(1, () => failures-- > 0);
    const runtime = createProjectorRuntime(store, { batchSize: 4, backoff: { initialMs: 5, maxMs: 10 } });
    try {
      await runtime.register(p);
      await seed(3);
      const { seq } = await seed(7, 'Observation');
      await runtime.waitFor(seq);
      expect(await countsOf(p)).toEqual({ Observation: 7, Patient: 3 });
      expect(await backend.checkpoints.get('projector/counts/g1')).toEqual({ seq: 10 });
    } finally {
      await runtime.stop();
    }
  });

  it('rebuilds into a new generation table and drops the old one', async () => {
    const r1 = createProjectorRuntime(store, { batchSize: 5 });
    await r1.register(countsProjector(1));
    await seed(6);
    await r1.waitFor(6);
    await r1.stop();
    const v2 = countsProjector(2);
    const r2 = createProjectorRuntime(store, { batchSize: 5 });
    try {
      await r2.register(v2);
      await r2.rebuild('counts');
      expect(r2.generation('counts')).toBe(2);
      expect(v2.activeGeneration).toBe(2);
      expect(await countsOf(v2)).toEqual({ Patient: 6 });
      const { rows } = await backend.pool.query(
        `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'p_counts_g1_n'`,
        [schema],
      );
      expect(rows).toHaveLength(0);
    } finally {
      await r2.stop();
    }
  });
});
