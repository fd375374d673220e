/**
 * The whole Synthea data set (122 Bundles, 92,114 resources) loaded through the
 * REST API as it is — batches of conditional creates, then transactions with
 * urn:uuid and conditional references — and then queried. Every expected
 * number is computed independently in this file by scanning the JSON.
 * Part of `pnpm test:scale`; skipped with a message when the data is absent.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createFhirServer, type FhirServer } from '@fhirstream/core';
import { type Embedded, openEmbedded } from '@fhirstream/lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFhirHandler } from './handler.js';
import { type InProcessClient, inProcessClient } from './in-process.js';
import { MEDPLUM_ROUTER_NEWEST_HEIGHTS, MEDPLUM_ROUTER_TOTALS } from './synthea-reference-counts.js';

const dataDir = fileURLToPath(new URL('../../../../shared/data/synthea-100', import.meta.url));
const present = existsSync(dataDir);
if (!present) console.warn(`synthea REST scale suite skipped: no data at ${dataDir}`);

interface Entry {
  resource: Record<string, any>;
  request: { method: string; url: string; ifNoneExist?: string };
  fullUrl?: string;
}
interface RawBundle {
  type: string;
  entry: Entry[];
}

describe.skipIf(!present)(
  `Synthea through the REST API (${present ? 'full data' : 'skipped: ../shared/data/synthea-100 absent'})`,
  () => {
    let embedded: Embedded;
    let server: FhirServer;
    let client: InProcessClient;
    let dir: string;
    let bundles: Array<{ file: string; json: string; parsed: RawBundle }>;
    const resources = () => bundles.flatMap((b) => b.parsed.entry.map((e) => e.resource));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fhirstream-synthea-'));
      embedded = openEmbedded({ path: dir, durability: 'committed' });
      server = await createFhirServer({
        store: embedded.store,
        search: embedded.search,
        runtime: embedded.runtime,
      });
      client = inProcessClient(createFhirHandler(server));
      bundles = readdirSync(dataDir)
        .filter((f) => f.endsWith('.json.gz'))
        .sort((a, b) => Number(b.startsWith('0-')) - Number(a.startsWith('0-')) || a.localeCompare(b))
        .map((file) => {
          const json = gunzipSync(readFileSync(join(dataDir, file))).toString('utf8');
          return { file, json, parsed: JSON.parse(json) as RawBundle };
        });
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await embedded?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('loads every bundle: every batch entry and every transaction succeeds', async () => {
      const failures: string[] = [];
      const post = async (b: (typeof bundles)[number]) => {
        const res = await client.request('/', {
          method: 'POST',
          body: b.json,
          headers: { 'content-type': 'application/fhir+json' },
        });
        const body = (await res.json()) as { entry?: Array<{ response: { status: string } }> };
        if (res.status !== 200)
          failures.push(`${b.file}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
        for (const e of body.entry ?? [])
          if (!/^20[01]/.test(e.response.status)) failures.push(`${b.file}: entry ${e.response.status}`);
      };
      for (const b of bundles.filter((x) => x.parsed.type === 'batch')) await post(b);
      const transactions = bundles.filter((x) => x.parsed.type === 'transaction');
      for (let i = 0; i < transactions.length; i += 4)
        await Promise.all(transactions.slice(i, i + 4).map(post));
      expect(failures).toEqual([]);
      // The index is applied beside the uploads (worker thread) and may trail them: let it catch up
      // before the searches below, which otherwise wait at most the server's consistency timeout.
      await embedded.runtime.waitFor(await embedded.store.headSeq(), { timeoutMs: 600_000 });
    }, 900_000);

    it('holds exactly the resources of the data, per type', async () => {
      const expected = new Map<string, number>();
      for (const r of resources()) expected.set(r.resourceType, (expected.get(r.resourceType) ?? 0) + 1);
      expect([...expected.values()].reduce((a, b) => a + b, 0)).toBe(92_114);
      for (const [type, count] of expected) {
        const { body } = await client.json<{ total: number }>(`/${type}?_summary=count`);
        expect(body.total, type).toBe(count);
      }
    }, 120_000);

    it('answers token, date, chain and _has searches with independently computed counts', async () => {
      const all = resources();
      const patients = new Map(
        all.filter((r) => r.resourceType === 'Patient').map((p) => [`urn:uuid:${p.id}`, p]),
      );
      const count = async (query: string) =>
        (await client.json<{ total: number }>(`/${query}&_summary=count`)).body.total;
      const isHeight = (r: Record<string, any>) =>
        r.resourceType === 'Observation' &&
        r.code?.coding?.some((c: any) => c.system === 'http://loinc.org' && c.code === '8302-2');

      expect(await count('Patient?gender=female')).toBe(
        [...patients.values()].filter((p) => p.gender === 'female').length,
      );
      expect(await count('Observation?code=http://loinc.org|8302-2')).toBe(all.filter(isHeight).length);
      // Quantity and composite (the reference implementation evaluates neither; counted from the data).
      const tall = all.filter((r) => isHeight(r) && r.valueQuantity?.value > 150).length;
      expect(tall).toBeGreaterThan(0);
      expect(await count('Observation?code=http://loinc.org|8302-2&value-quantity=gt150')).toBe(tall);
      expect(await count('Observation?code-value-quantity=http://loinc.org|8302-2$gt150')).toBe(tall);
      const since = Date.parse('2020-01-01T00:00:00Z');
      expect(await count('Immunization?date=ge2020-01-01')).toBe(
        all.filter((r) => r.resourceType === 'Immunization' && Date.parse(r.occurrenceDateTime) >= since)
          .length,
      );
      expect(await count('Observation?code=http://loinc.org|8302-2&subject:Patient.gender=female')).toBe(
        all.filter((r) => isHeight(r) && patients.get(r.subject?.reference)?.gender === 'female').length,
      );
      const diabetic = new Set(
        all
          .filter(
            (r) =>
              r.resourceType === 'Condition' &&
              r.code?.coding?.some(
                (c: any) => c.system === 'http://snomed.info/sct' && c.code === '44054006',
              ),
          )
          .map((r) => r.subject.reference),
      );
      expect(diabetic.size).toBeGreaterThan(0);
      expect(await count('Patient?_has:Condition:patient:code=http://snomed.info/sct|44054006')).toBe(
        diabetic.size,
      );
    }, 120_000);

    it('gives the totals an independent implementation (Medplum fhir-router 4.5.2) gives, where it applies the spec', async () => {
      const differences: string[] = [];
      for (const { query, total } of MEDPLUM_ROUTER_TOTALS) {
        const url = `/${query}${query.includes('?') ? '&' : '?'}_summary=count`;
        const ours = (await client.json<{ total: number }>(url)).body.total;
        if (ours !== total) differences.push(`${query}: ours ${ours}, reference ${total}`);
      }
      expect(differences).toEqual([]);
      const newest = await client.json<{ entry: Array<{ resource: { effectiveDateTime: string } }> }>(
        '/Observation?code=http://loinc.org|8302-2&_sort=-date&_count=5',
      );
      expect(newest.body.entry.map((e) => e.resource.effectiveDateTime)).toEqual(
        MEDPLUM_ROUTER_NEWEST_HEIGHTS,
      );
    }, 120_000);

    it("pages one patient's observations completely, with no duplicate, and includes the patient once", async () => {
      const all = resources();
      const patient = all.find((r) => r.resourceType === 'Patient')!;
      const expected = all.filter(
        (r) => r.resourceType === 'Observation' && r.subject?.reference === `urn:uuid:${patient.id}`,
      ).length;
      const found = await client.json<{ entry: Array<{ resource: { id: string } }> }>(
        `/Patient?identifier=https://github.com/synthetichealth/synthea|${patient.id}`,
      );
      const id = found.body.entry[0]!.resource.id;
      const seen = new Set<string>();
      let includes = 0;
      let url: string | undefined =
        `/Observation?subject=Patient/${id}&_include=Observation:subject&_count=200`;
      while (url) {
        const page: {
          body: {
            entry?: Array<{ resource: { resourceType: string; id: string }; search: { mode: string } }>;
            link: Array<{ relation: string; url: string }>;
          };
        } = await client.json(url);
        for (const e of page.body.entry ?? []) {
          if (e.search.mode === 'include') includes += 1;
          else {
            expect(seen.has(e.resource.id)).toBe(false);
            seen.add(e.resource.id);
          }
        }
        const next = page.body.link.find((l) => l.relation === 'next')?.url;
        url = next ? next.replace(/^https?:\/\/[^/]+/, '') : undefined;
      }
      expect(seen.size).toBe(expected);
      expect(includes).toBeGreaterThanOrEqual(1);
    }, 120_000);
  },
);
