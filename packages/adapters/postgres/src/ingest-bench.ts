/**
 * Ingest throughput of the PostgreSQL backend next to LMDB, measured in the
 * same run (ratios, not absolute times, are what to compare):
 *
 *   FHIRSTREAM_POSTGRES_URL=postgres://… node --conditions=source --import tsx \
 *     packages/adapters/postgres/src/ingest-bench.ts [resources=10000] [batch=500] [single=2000]
 *
 * Workloads: `resources` small Patients committed in batches of `batch`; then
 * `single` single-resource commits from 4 concurrent writers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type ResourceStore, type WriteOp } from '@fhirstream/core';
import { openLmdbBackend } from '@fhirstream/lmdb';
import { openPostgresBackend } from './postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema } from './test-database.js';

const [resources = 10_000, batch = 500, single = 2_000] = process.argv.slice(2).map(Number);
const WRITERS = 4;

const patient = (i: number): WriteOp => ({
  op: 'create',
  resource: {
    resourceType: 'Patient',
    active: true,
    name: [{ family: `Family${i}`, given: ['Given'] }],
    gender: i % 2 ? 'male' : 'female',
    birthDate: '1980-01-01',
    identifier: [{ system: 'urn:bench', value: String(i) }],
  },
});

async function measure(label: string, store: ResourceStore): Promise<[number, number]> {
  let t0 = performance.now();
  for (let i = 0; i < resources; i += batch) {
    await store.commit(Array.from({ length: Math.min(batch, resources - i) }, (_, k) => patient(i + k)));
  }
  const batched = resources / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = w; i < single; i += WRITERS) await store.commit([patient(i)]);
    }),
  );
  const singles = single / ((performance.now() - t0) / 1000);
  console.log(
    `${label.padEnd(9)} batched(${batch}): ${batched.toFixed(0).padStart(7)} res/s   single x${WRITERS}: ${singles.toFixed(0).padStart(6)} res/s`,
  );
  return [batched, singles];
}

const dir = mkdtempSync(join(tmpdir(), 'fhirstream-bench-'));
const lmdb = createStore(openLmdbBackend({ path: dir }));
const [lb, ls] = await measure('lmdb', lmdb);
await lmdb.close();
rmSync(dir, { recursive: true, force: true });

if (!POSTGRES_URL) {
  console.warn('postgres: skipped (FHIRSTREAM_POSTGRES_URL not set)');
} else {
  const schema = randomSchema('fs_bench');
  const pgStore = createStore(await openPostgresBackend({ connectionString: POSTGRES_URL, schema }));
  const [pb, ps] = await measure('postgres', pgStore);
  await pgStore.close();
  await dropSchema(schema);
  console.log(
    `postgres/lmdb: batched ${((pb / lb) * 100).toFixed(0)}%, single ${((ps / ls) * 100).toFixed(0)}%`,
  );
}
