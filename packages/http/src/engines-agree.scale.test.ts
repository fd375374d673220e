/**
 * The two search engines, embedded LMDB and PostgreSQL, answer the same
 * queries over the same Synthea data the same way: thousands of queries
 * generated from the data (`agreementQueries` of `@fhirstream/core/testing`: every indexed
 * parameter, modifier and prefix), plus chains, `_has`, value sets and
 * sorted pages. Each engine is an independent implementation of the search
 * semantics (LMDB key ranges and set algebra; SQL), so a difference is a bug
 * in one of them. Part of `pnpm test:scale`; skipped with a message when the
 * data or FHIRSTREAM_POSTGRES_URL is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFhirServer, createProjectorRuntime, createStore, type FhirServer } from '@fhirstream/core';
import { agreementQueries, loadSyntheaSample, type SampleResource } from '@fhirstream/core/testing';
import { type Embedded, openEmbedded } from '@fhirstream/lmdb';
import {
  createPostgresSearchEngine,
  openPostgresBackend,
  type PostgresBackend,
  quoteIdent,
} from '@fhirstream/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirHandler } from './handler.js';
import { type InProcessClient, inProcessClient } from './in-process.js';

const dataDir = fileURLToPath(new URL('../../../../shared/data/synthea-100', import.meta.url));
const POSTGRES_URL = process.env.FHIRSTREAM_POSTGRES_URL;
const present = existsSync(dataDir);
const why = !present
  ? 'skipped: ../shared/data/synthea-100 absent'
  : !POSTGRES_URL
    ? 'skipped: set FHIRSTREAM_POSTGRES_URL to run it'
    : '';
if (why) console.warn(`search engines agreement suite ${why}`);

/** The two batches of shared resources and this many patient transactions. */
const PATIENT_BUNDLES = 18;

/** Queries the generator cannot derive from one resource: chains, `_has`, value sets, profiles, AND/OR. */
const HANDWRITTEN = [
  'Observation?subject:Patient.gender=male',
  'Observation?subject.birthdate=lt1960',
  'Encounter?subject.name=a',
  'Observation?encounter.class=AMB',
  'Claim?patient.gender=female',
  'MedicationRequest?encounter.subject.gender=male',
  'Patient?_has:Observation:subject:code=8302-2',
  'Patient?_has:Condition:subject:code=44054006',
  'Patient?_has:Encounter:patient:_has:Claim:encounter:use=claim',
  'Encounter?_has:Observation:encounter:category=vital-signs',
  'Practitioner?_has:Encounter:practitioner:class=AMB',
  'Observation?code=8302-2&value-quantity=gt150',
  'Observation?code=8302-2,29463-7&date=ge2015',
  'Encounter?date=ge2015-01-01&date=lt2016-01-01',
  'Patient?gender=female&birthdate=ge1970',
  'Observation?_profile=http://hl7.org/fhir/StructureDefinition/bodyheight',
  'Observation?_profile:below=http://hl7.org/fhir/StructureDefinition',
  'Observation?combo-code=8302-2',
  'Observation?code:in=http://hl7.org/fhir/ValueSet/observation-vitalsignresult',
  'Condition?clinical-status:not-in=http://hl7.org/fhir/ValueSet/condition-clinical',
  'Condition?clinical-status:below=http://terminology.hl7.org/CodeSystem/condition-clinical|active',
];

/** Sorted first pages (ties broken by `_id`, so the order is total). */
const SORTED = [
  'Patient?_sort=birthdate,_id',
  'Patient?_sort=-birthdate,_id',
  'Patient?_sort=family,_id',
  'Patient?_sort=-family,_id',
  'Patient?_sort=gender,-_id',
  'Patient?_sort=address-city,_id',
  'Observation?code=8302-2&_sort=-date,_id',
  'Observation?code=8302-2&_sort=date,_id',
  'Observation?code=8302-2&_sort=-value-quantity,_id',
  'Observation?code=8302-2&_sort=value-quantity,_id',
  'Observation?code=8302-2&_sort=subject,_id',
  'Encounter?class=AMB&_sort=-date,_id',
  'Encounter?class=AMB&_sort=type,_id',
  'Encounter?class=AMB&_sort=subject,-_id',
  'Condition?_sort=code,_id',
  'Condition?_sort=-onset-date,_id',
  'Claim?_sort=-created,_id',
  'Claim?_sort=priority,_id',
];

/** Queries with `_include` / `_revinclude`, paged through in `_id` order. */
const PAGED = [
  'Observation?code=8302-2&_include=Observation:subject',
  'Encounter?class=AMB&date=ge2018&_include=Encounter:practitioner&_include=Encounter:service-provider',
  'Patient?gender=female&_revinclude=Condition:subject',
  'Claim?use=claim&created=ge2019&_include=Claim:patient&_include=Claim:provider',
  'Encounter?date=ge2019&_revinclude=Observation:encounter&_include=Encounter:patient',
  'MedicationRequest?_include=MedicationRequest:encounter&_include:iterate=Encounter:patient',
  'Patient?_has:Condition:subject:code=44054006&_revinclude=Encounter:patient',
];

describe.skipIf(Boolean(why))(
  `LMDB and PostgreSQL search engines agree over Synthea ${why && `(${why})`}`,
  () => {
    let dir: string;
    let embedded: Embedded;
    let backend: PostgresBackend;
    const servers: FhirServer[] = [];
    const clients: Record<'lmdb' | 'postgres', InProcessClient> = {} as never;
    let resources: SampleResource[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fhirstream-agree-'));
      embedded = openEmbedded({ path: dir, durability: 'committed' });
      const lmdb = await createFhirServer({
        store: embedded.store,
        search: embedded.search,
        runtime: embedded.runtime,
      });
      backend = await openPostgresBackend({
        connectionString: POSTGRES_URL!,
        schema: `fs_agree_${process.pid}_${Date.now()}`,
        maxConnections: 6,
      });
      const store = createStore(backend);
      const runtime = createProjectorRuntime(store, { batchSize: 500 });
      const postgres = await createFhirServer({
        store,
        runtime,
        search: createPostgresSearchEngine({ backend, store, runtime }),
      });
      servers.push(lmdb, postgres);
      clients.lmdb = inProcessClient(createFhirHandler(lmdb));
      clients.postgres = inProcessClient(createFhirHandler(postgres));
    }, 120_000);

    afterAll(async () => {
      for (const server of servers) await server.close();
      await embedded?.close();
      if (backend) {
        await backend.pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(backend.schema)} CASCADE`);
        await backend.close();
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('both load the same bundles', async () => {
      const sample = loadSyntheaSample(dataDir, PATIENT_BUNDLES);
      resources = sample.resources;
      for (const bundle of sample.bundles) {
        for (const [name, client] of Object.entries(clients)) {
          const res = await client.request('/', {
            method: 'POST',
            body: bundle.json,
            headers: { 'content-type': 'application/fhir+json' },
          });
          expect(res.status, `${name} ${bundle.file}: ${res.status === 200 ? '' : await res.text()}`).toBe(
            200,
          );
          await res.arrayBuffer();
        }
      }
      expect(resources.length).toBeGreaterThan(10_000);
    }, 600_000);

    it('give the same totals for every generated and handwritten query', async () => {
      const queries = [...agreementQueries(resources, embedded.search.registry!), ...HANDWRITTEN];
      expect(queries.length).toBeGreaterThan(5_000);
      const differences: string[] = [];
      const unanswered: string[] = [];
      let nonEmpty = 0;
      for (const query of queries) {
        const [lmdb, postgres] = await Promise.all([
          total(clients.lmdb, query),
          total(clients.postgres, query),
        ]);
        if (lmdb !== postgres) differences.push(`${query}: LMDB ${lmdb}, PostgreSQL ${postgres}`);
        if (typeof lmdb !== 'number') unanswered.push(`${query}: ${lmdb}`);
        else if (lmdb > 0) nonEmpty++;
      }
      expect(differences).toEqual([]);
      // Every query is understood (strict handling: nothing is ignored), and most find something.
      expect(unanswered).toEqual([]);
      expect(nonEmpty / queries.length).toBeGreaterThan(0.6);
    }, 900_000);

    it('give the same sorted first pages', async () => {
      for (const query of SORTED) {
        const [lmdb, postgres] = await Promise.all([
          page(clients.lmdb, query),
          page(clients.postgres, query),
        ]);
        expect(lmdb.length, query).toBeGreaterThan(1);
        expect(postgres, query).toEqual(lmdb);
      }
    }, 120_000);

    it('page through the same matches and included resources', async () => {
      for (const query of PAGED) {
        const [lmdb, postgres] = await Promise.all([
          allPages(clients.lmdb, query),
          allPages(clients.postgres, query),
        ]);
        const matches = lmdb.filter((e) => e.startsWith('match '));
        expect(new Set(matches).size, `${query}: no match twice`).toBe(matches.length);
        expect(matches.length, query).toBe(await total(clients.lmdb, query));
        expect(
          lmdb.some((e) => e.startsWith('include ')),
          `${query} includes something`,
        ).toBe(true);
        expect(postgres, query).toEqual(lmdb);
      }
    }, 300_000);
  },
);

/**
 * The `_summary=count` total of a query, or its status and outcome when it is
 * not answered. Strict handling: a parameter or modifier the engine did not
 * understand is an error, not silently left out.
 */
async function total(client: InProcessClient, query: string): Promise<number | string> {
  const res = await client.request(`/${query}&_summary=count`, { headers: { prefer: 'handling=strict' } });
  const text = await res.text();
  if (res.status !== 200) return `${res.status} ${text.slice(0, 200)}`;
  return (JSON.parse(text) as { total: number }).total;
}

/** The ids of the first 30 matches. */
async function page(client: InProcessClient, query: string): Promise<string[]> {
  const res = await client.request(`/${query}&_count=30&_elements=id`);
  expect(res.status, query).toBe(200);
  const body = (await res.json()) as { entry?: Array<{ resource: { id: string } }> };
  return (body.entry ?? []).map((e) => e.resource.id);
}

/**
 * Every entry of every page (`mode Type/id`), following `next` links, 50
 * matches a page in `_id` order: each page's matches, then its includes sorted.
 */
async function allPages(client: InProcessClient, query: string): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined = `/${query}&_sort=_id&_count=50&_elements=id`;
  while (next) {
    const res = await client.request(next);
    expect(res.status, next).toBe(200);
    const body = (await res.json()) as {
      entry?: Array<{ resource: { resourceType: string; id: string }; search?: { mode?: string } }>;
      link?: Array<{ relation: string; url: string }>;
    };
    const entries = (body.entry ?? []).map(
      (e) => `${e.search?.mode} ${e.resource.resourceType}/${e.resource.id}`,
    );
    // Matches in their order; a page's included resources in any order (the spec sets none).
    out.push(...entries.filter((e) => e.startsWith('match ')));
    out.push(...entries.filter((e) => !e.startsWith('match ')).sort());
    const link = body.link?.find((l) => l.relation === 'next')?.url;
    next = link ? link.slice(new URL(link).origin.length) : undefined;
  }
  return out;
}
