/**
 * The subscriptions' in-memory matcher (criteria evaluated against one
 * resource, `criteria.ts`) and the search engine (the LMDB index) agree over
 * Synthea: for every query generated from the data that a subscription may
 * use (no chains, `_has` or `:text`), the resources the matcher accepts are
 * as many as the search finds. A subscription then notifies exactly for the
 * resources a search with its criteria returns. Part of `pnpm test:scale`;
 * skipped with a message when the data is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFhirServer, type FhirServer } from '@fhirstream/core';
import { agreementQueries, loadSyntheaSample } from '@fhirstream/core/testing';
import { createFhirHandler, type InProcessClient, inProcessClient } from '@fhirstream/http';
import { type Embedded, openEmbedded } from '@fhirstream/lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledFilter, matchesFilter, parseCriteria, ResourceValues } from './criteria.js';

const dataDir = fileURLToPath(new URL('../../../../shared/data/synthea-100', import.meta.url));
const present = existsSync(dataDir);
if (!present) console.warn(`matcher agreement suite skipped: no data at ${dataDir}`);

/** OR lists, ANDed clauses and value sets, which the generated queries (one value each) leave out. */
const COMBINED = [
  'Observation?value-quantity=ne70,ne80',
  'Observation?component-value-quantity=ne80,ne120',
  'Observation?code=8302-2,29463-7&date=ge2015',
  'Observation?code=8302-2&value-quantity=gt150&value-quantity=lt180',
  'Patient?gender=female&birthdate=ge1970&birthdate=lt1990',
  'Encounter?date=ge2015-01-01&date=lt2016-01-01&class=AMB',
  'Encounter?date=ap2015-06-15',
  'Observation?code:in=http://hl7.org/fhir/ValueSet/observation-vitalsignresult',
  'Condition?clinical-status:not-in=http://hl7.org/fhir/ValueSet/condition-clinical',
  'Condition?clinical-status:below=http://terminology.hl7.org/CodeSystem/condition-clinical|active',
  'Observation?category:not=vital-signs,laboratory',
  'Observation?_profile=http://hl7.org/fhir/StructureDefinition/bodyheight',
  'Observation?combo-code=8302-2&combo-value-quantity=gt100',
  'Observation?code-value-quantity=http://loinc.org|8302-2$gt150,http://loinc.org|29463-7$lt80',
  'Patient?name=ma,jo&gender:not=male',
  'Patient?address-city:contains=ton&deceased:missing=true',
];

describe.skipIf(!present)(
  `subscription matcher and search agree over Synthea${present ? '' : ' (skipped: ../shared/data/synthea-100 absent)'}`,
  () => {
    let dir: string;
    let embedded: Embedded;
    let server: FhirServer;
    let client: InProcessClient;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fhirstream-matcher-'));
      embedded = openEmbedded({ path: dir, durability: 'committed' });
      server = await createFhirServer({
        store: embedded.store,
        search: embedded.search,
        runtime: embedded.runtime,
      });
      client = inProcessClient(createFhirHandler(server));
    });

    afterAll(async () => {
      await server?.close();
      await embedded?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('counts the same resources for every generated query a subscription may use', async () => {
      const sample = loadSyntheaSample(dataDir, 12);
      for (const bundle of sample.bundles) {
        const res = await client.request('/', {
          method: 'POST',
          body: bundle.json,
          headers: { 'content-type': 'application/fhir+json' },
        });
        expect(res.status, bundle.file).toBe(200);
        await res.arrayBuffer();
      }
      // The stored resources: references resolved and rewritten by the server, as subscriptions see them.
      const byType = new Map<string, ResourceValues[]>();
      for (const r of sample.resources) {
        const stored = await embedded.store.read(r.resourceType, r.id);
        expect(stored?.resource, `${r.resourceType}/${r.id}`).toBeDefined();
        const list = byType.get(r.resourceType) ?? [];
        list.push(new ResourceValues(stored!.resource as { resourceType: string }, embedded.search.registry));
        byType.set(r.resourceType, list);
      }
      const differences: string[] = [];
      let compared = 0;
      let nonEmpty = 0;
      for (const query of [...agreementQueries(sample.resources, embedded.search.registry!), ...COMBINED]) {
        let filter: CompiledFilter;
        try {
          filter = parseCriteria(query, embedded.search.registry);
        } catch {
          continue; // not a subscription criteria (`:text`)
        }
        const res = await client.request(`/${query}&_summary=count`, {
          headers: { prefer: 'handling=strict' },
        });
        const body = (await res.json()) as { total?: number };
        const matched = (byType.get(filter.resourceType) ?? []).filter((v) =>
          matchesFilter(filter, v),
        ).length;
        compared++;
        if (matched > 0) nonEmpty++;
        if (res.status !== 200 || body.total !== matched)
          differences.push(
            `${query}: search ${res.status === 200 ? body.total : res.status}, matcher ${matched}`,
          );
      }
      expect(differences).toEqual([]);
      expect(compared).toBeGreaterThan(5_000);
      expect(nonEmpty / compared).toBeGreaterThan(0.6);
    }, 600_000);
  },
);
