/**
 * The search engine over a few Synthea patient bundles, with expected counts
 * derived independently by scanning the JSON. Skipped when the data set is
 * absent. Timings are printed, never asserted.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AnyResource, SearchParams } from '@fhirstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSearchFixture, type SearchFixture } from './search-fixture.js';

const DATA = resolve(import.meta.dirname, '../../../../../../shared/data/synthea-100');
const BUNDLES = 6;
const present = existsSync(DATA);
if (!present) console.warn(`synthea.scale.test: skipped, ${DATA} is absent`);

type R = Record<string, unknown> & { resourceType: string; id: string };

/** Rewrite `urn:uuid:X` references to `Type/X` (types from the bundle's fullUrls). */
function loadBundle(file: string): R[] {
  const bundle = JSON.parse(gunzipSync(readFileSync(join(DATA, file))).toString('utf8')) as {
    entry: Array<{ fullUrl: string; resource: R }>;
  };
  const types = new Map(bundle.entry.map((e) => [e.fullUrl, e.resource.resourceType]));
  const text = JSON.stringify(
    bundle.entry.map((e) => ({ ...e.resource, id: e.fullUrl.replace('urn:uuid:', '') })),
  );
  return JSON.parse(
    text.replace(/"urn:uuid:([0-9a-f-]+)"/g, (m, id: string) => {
      const t = types.get(`urn:uuid:${id}`);
      return t ? `"${t}/${id}"` : m;
    }),
  ) as R[];
}

const ref = (r: R, field: string) => (r[field] as { reference?: string } | undefined)?.reference;
const codings = (r: R, field: string) =>
  (r[field] as { coding?: Array<{ system?: string; code?: string }> } | undefined)?.coding ?? [];

describe.skipIf(!present)('search over Synthea bundles', () => {
  let f: SearchFixture;
  let all: R[] = [];
  const timed = async (label: string, type: string, params: SearchParams, extra = {}) => {
    const t0 = performance.now();
    const r = await f.search(type, [...params, ['_total', 'accurate']], extra);
    console.log(`  ${label}: ${(performance.now() - t0).toFixed(1)} ms (total ${r.total})`);
    return r;
  };

  beforeAll(async () => {
    f = await openSearchFixture();
    const files = readdirSync(DATA)
      .filter((n) => n.endsWith('.json.gz') && !n.startsWith('0-'))
      .sort()
      .slice(0, BUNDLES);
    const t0 = performance.now();
    for (const file of files) {
      const resources = loadBundle(file);
      all = all.concat(resources);
      await f.load(resources.map((r) => r as unknown as AnyResource));
    }
    console.log(`  loaded + indexed ${all.length} resources in ${(performance.now() - t0).toFixed(0)} ms`);
  }, 300_000);
  afterAll(async () => {
    await f?.close();
  });

  it('reference: observations per patient', async () => {
    const patients = all.filter((r) => r.resourceType === 'Patient');
    expect(patients.length).toBe(BUNDLES);
    for (const p of patients) {
      const expected = all.filter(
        (r) => r.resourceType === 'Observation' && ref(r, 'subject') === `Patient/${p.id}`,
      ).length;
      const r = await timed(`Observation?subject=Patient/${p.id.slice(0, 8)}`, 'Observation', [
        ['subject', `Patient/${p.id}`],
        ['_count', '5'],
      ]);
      expect(r.total).toBe(expected);
      expect(r.matches).toHaveLength(Math.min(5, expected));
    }
  });

  it('token: the most common LOINC code, and gender', async () => {
    const counts = new Map<string, number>();
    for (const r of all)
      if (r.resourceType === 'Observation')
        for (const c of new Set(
          codings(r, 'code')
            .filter((c) => c.system === 'http://loinc.org')
            .map((c) => c.code!),
        ))
          counts.set(c, (counts.get(c) ?? 0) + 1);
    const [code, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    expect(
      (await timed(`Observation?code=loinc|${code}`, 'Observation', [['code', `http://loinc.org|${code}`]]))
        .total,
    ).toBe(n);
    const female = all.filter((r) => r.resourceType === 'Patient' && r.gender === 'female').length;
    expect((await timed('Patient?gender=female', 'Patient', [['gender', 'female']])).total).toBe(female);
    const chained = all.filter(
      (r) =>
        r.resourceType === 'Observation' &&
        codings(r, 'code').some((c) => c.system === 'http://loinc.org' && c.code === code) &&
        all.some(
          (p) =>
            p.resourceType === 'Patient' && `Patient/${p.id}` === ref(r, 'subject') && p.gender === 'female',
        ),
    ).length;
    const r = await timed('Observation?code=..&subject:Patient.gender=female', 'Observation', [
      ['code', `http://loinc.org|${code}`],
      ['subject:Patient.gender', 'female'],
    ]);
    expect(r.total).toBe(chained);
  });

  it('date: encounters ge2015-01-01 (period ranges)', async () => {
    const pl = Date.UTC(2015, 0, 1);
    const ph = Date.UTC(2015, 0, 2) - 1;
    const expected = all.filter((r) => {
      if (r.resourceType !== 'Encounter') return false;
      const period = r.period as { start?: string; end?: string };
      const low = period.start ? Date.parse(period.start) : Number.NEGATIVE_INFINITY;
      const high = period.end ? Date.parse(period.end) + 999 : Number.POSITIVE_INFINITY;
      return high > ph || (low >= pl && high <= ph);
    }).length;
    expect((await timed('Encounter?date=ge2015-01-01', 'Encounter', [['date', 'ge2015-01-01']])).total).toBe(
      expected,
    );
  });

  it('composite: systolic blood pressure above 130 mm[Hg], in the same component', async () => {
    type Component = { code?: R['code']; valueQuantity?: { value?: number; system?: string; code?: string } };
    const isLoinc = (c: Component, code: string) =>
      codings(c as R, 'code').some((x) => x.system === 'http://loinc.org' && x.code === code);
    const high = (c: Component) =>
      c.valueQuantity?.system === 'http://unitsofmeasure.org' &&
      c.valueQuantity.code === 'mm[Hg]' &&
      (c.valueQuantity.value ?? 0) > 130;
    const components = (r: R) =>
      r.resourceType === 'Observation' ? ((r.component as Component[]) ?? []) : [];
    const expected = all.filter((r) => components(r).some((c) => isLoinc(c, '8480-6') && high(c))).length;
    expect(expected).toBeGreaterThan(0);
    const value = 'http://loinc.org|8480-6$gt130|http://unitsofmeasure.org|mm[Hg]';
    const r = await timed('Observation?component-code-value-quantity=8480-6$gt130', 'Observation', [
      ['component-code-value-quantity', value],
    ]);
    expect(r.total).toBe(expected);
    const diastolic = all.filter((r) =>
      components(r).some((c) => isLoinc(c, '8462-4') && (c.valueQuantity?.value ?? 0) > 130),
    ).length;
    const d = await timed('Observation?component-code-value-quantity=8462-4$gt130', 'Observation', [
      ['component-code-value-quantity', '8462-4$gt130'],
    ]);
    expect(d.total).toBe(diastolic);
    // Pairing the diastolic code with another component's value (the systolic one) would find more.
    const crossPaired = all.filter(
      (r) =>
        components(r).some((c) => isLoinc(c, '8462-4')) &&
        components(r).some((c) => (c.valueQuantity?.value ?? 0) > 130),
    ).length;
    expect(crossPaired).toBeGreaterThan(diastolic);
  });

  it('_has and compartment', async () => {
    const byCode = new Map<string, Set<string>>();
    for (const r of all)
      if (r.resourceType === 'Condition')
        for (const c of codings(r, 'code')) {
          const set = byCode.get(c.code!) ?? new Set();
          set.add(ref(r, 'subject')!);
          byCode.set(c.code!, set);
        }
    const [code, subjects] = [...byCode].sort((a, b) => b[1].size - a[1].size)[0]!;
    const r = await timed(`Patient?_has:Condition:patient:code=${code}`, 'Patient', [
      ['_has:Condition:patient:code', code],
    ]);
    expect(r.total).toBe(subjects.size);
    const p = all.find((x) => x.resourceType === 'Patient')!;
    const encounters = all.filter(
      (x) => x.resourceType === 'Encounter' && ref(x, 'subject') === `Patient/${p.id}`,
    ).length;
    const c = await timed('Patient/[id]/Encounter', 'Encounter', [], {
      compartment: { resourceType: 'Patient', id: p.id },
    });
    expect(c.total).toBe(encounters);
    const sorted = await timed('Observation?_sort=-date&_count=10', 'Observation', [
      ['_sort', '-date'],
      ['_count', '10'],
    ]);
    expect(sorted.matches).toHaveLength(10);
    await timed('Observation? (all, _count=10)', 'Observation', [['_count', '10']]);
  });
});
