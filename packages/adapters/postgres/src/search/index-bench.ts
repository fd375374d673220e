/**
 * Search index throughput and query latencies of the PostgreSQL engine next
 * to LMDB's, measured in the same run on the same Synthea resources (ratios,
 * not absolute times, are what to compare):
 *
 *   FHIRSTREAM_POSTGRES_URL=postgres://… node --conditions=source --import tsx \
 *     packages/adapters/postgres/src/search/index-bench.ts [resources=11000] [batch=500]
 *
 * Resources are committed first (not measured), then the index projector is
 * registered and timed until it has caught up; then each query runs a few
 * times and the median is printed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  type AnyResource,
  createProjectorRuntime,
  createStore,
  type ResourceStore,
  requestContext,
  type SearchEngine,
  type SearchParams,
} from '@fhirstream/core';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import { openPostgresBackend } from '../postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema } from '../test-database.js';
import { createPostgresSearchEngine } from './postgres-search-engine.js';

const DATA = process.env.FHIRSTREAM_BENCH_DATA ?? '/work/shared/data/synthea-100';
const [wanted = 11_000, batchSize = 500] = process.argv.slice(2).map(Number);
const RUNS = 5;

type R = AnyResource & { id: string };

/** Bundles as resources with `urn:uuid:` references rewritten to `Type/id`, the `0-*` files first. */
function loadResources(): R[][] {
  const files = readdirSync(DATA)
    .filter((n) => n.endsWith('.json.gz'))
    .sort((a, b) => Number(!a.startsWith('0-')) - Number(!b.startsWith('0-')) || a.localeCompare(b));
  const out: R[][] = [];
  let n = 0;
  for (const file of files) {
    if (n >= wanted) break;
    const bundle = JSON.parse(gunzipSync(readFileSync(join(DATA, file))).toString('utf8')) as {
      entry: Array<{ fullUrl: string; resource: R }>;
    };
    const types = new Map(bundle.entry.map((e) => [e.fullUrl, e.resource.resourceType]));
    const text = JSON.stringify(
      bundle.entry.map((e) => ({ ...e.resource, id: e.fullUrl.replace('urn:uuid:', '') || e.resource.id })),
    );
    const resources = JSON.parse(
      text.replace(/"urn:uuid:([0-9a-f-]+)"/g, (m, id: string) => {
        const t = types.get(`urn:uuid:${id}`);
        return t ? `"${t}/${id}"` : m;
      }),
    ) as R[];
    out.push(resources);
    n += resources.length;
  }
  return out;
}

const bundles = loadResources();
const all = bundles.flat();
const count = all.length;
const patient = all.find((r) => r.resourceType === 'Patient') as R & { name?: Array<{ family?: string }> };
const family = patient.name?.[0]?.family ?? 'smith';
const QUERIES: Array<[string, string, SearchParams]> = [
  ['token', 'Observation', [['code', 'http://loinc.org|8302-2']]],
  ['string prefix', 'Patient', [['name', family.slice(0, 3)]]],
  ['string :contains', 'Patient', [['family:contains', family.slice(2, 5)]]],
  [
    'date range',
    'Observation',
    [
      ['date', 'ge2018-01-01'],
      ['date', 'lt2019-01-01'],
    ],
  ],
  ['quantity gt', 'Observation', [['value-quantity', 'gt100']]],
  [
    'reference + sort',
    'Observation',
    [
      ['subject', `Patient/${patient.id}`],
      ['_sort', '-date'],
    ],
  ],
  ['sort all -date', 'Observation', [['_sort', '-date']]],
  [
    'chain',
    'Observation',
    [
      ['subject:Patient.gender', 'female'],
      ['code', '8302-2'],
    ],
  ],
  ['_has', 'Patient', [['_has:Observation:patient:code', '8302-2']]],
  [
    '_include',
    'Encounter',
    [
      ['subject', patient.id],
      ['_include', 'Encounter:subject'],
    ],
  ],
  ['_content', 'Patient', [['_content', 'massachusetts']]],
];

async function measure(label: string, store: ResourceStore, open: (s: ResourceStore) => SearchEngine) {
  for (const resources of bundles)
    for (let i = 0; i < resources.length; i += 1000)
      await store.commit(
        resources.slice(i, i + 1000).map((resource) => ({ op: 'update' as const, resource })),
      );
  const runtime = createProjectorRuntime(store, { batchSize });
  const engine = open(store);
  const t0 = performance.now();
  for (const p of engine.projectors) await runtime.register(p);
  await runtime.waitFor(await store.headSeq(), { timeoutMs: 3_600_000 });
  const rate = count / ((performance.now() - t0) / 1000);
  const latencies: string[] = [];
  for (const [name, type, params] of QUERIES) {
    const times: number[] = [];
    let total: number | undefined;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await engine.search(
        { resourceType: type, params: [...params, ['_count', '10'], ['_total', 'accurate']] },
        requestContext(),
      );
      times.push(performance.now() - t);
      total = r.total;
    }
    times.sort((a, b) => a - b);
    latencies.push(`${name}=${times[RUNS >> 1]!.toFixed(1)}ms(${total})`);
  }
  console.log(`${label}: index ${rate.toFixed(0)} events/s over ${count} resources`);
  for (const l of latencies) console.log(`  ${label} ${l}`);
  await runtime.stop();
  await store.close();
}

/** `FHIRSTREAM_BENCH_ONLY=postgres|lmdb` runs one; `FHIRSTREAM_BENCH_KEEP=1` keeps the PostgreSQL schema (to EXPLAIN). */
const only = process.env.FHIRSTREAM_BENCH_ONLY;
if (only !== 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'fhirstream-index-bench-'));
  try {
    const backend = openLmdbBackend({ path: dir });
    await measure('lmdb', createStore(backend), (store) => createLmdbSearchEngine({ backend, store }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (only !== 'lmdb' && POSTGRES_URL) {
  const schema = randomSchema('fs_bench');
  try {
    const backend = await openPostgresBackend({ connectionString: POSTGRES_URL, schema });
    await measure('postgres', createStore(backend), (store) =>
      createPostgresSearchEngine({ backend, store }),
    );
  } finally {
    if (process.env.FHIRSTREAM_BENCH_KEEP) console.log(`kept schema ${schema}`);
    else await dropSchema(schema);
  }
} else if (only !== 'lmdb') console.log('postgres: skipped (set FHIRSTREAM_POSTGRES_URL)');
