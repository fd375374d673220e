import { afterEach, describe, expect, it } from 'vitest';
import { type BulkFixture, openBulkFixture } from '../testing/fixture.js';
import { everythingOperation } from './everything-operation.js';

let f: BulkFixture;
afterEach(async () => {
  await f?.close();
});

interface Bundle {
  resourceType: string;
  type: string;
  total?: number;
  link: Array<{ relation: string; url: string }>;
  entry?: Array<{
    fullUrl: string;
    resource: { resourceType: string; id: string; meta?: unknown };
    search: { mode: string };
  }>;
}

const open = (access?: Parameters<typeof openBulkFixture>[0]) =>
  openBulkFixture({
    search: false,
    operations: ({ compartments }) => [everythingOperation({ compartments })],
    ...access,
  });

const keys = (b: Bundle) => (b.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`);

const data = () => [
  { resourceType: 'Patient' as const, id: 'p1', managingOrganization: { reference: 'Organization/org1' } },
  { resourceType: 'Patient' as const, id: 'p2' },
  { resourceType: 'Organization' as const, id: 'org1' },
  { resourceType: 'Practitioner' as const, id: 'd1' },
  { resourceType: 'Practitioner' as const, id: 'unused' },
  { resourceType: 'Medication' as const, id: 'm1' },
  {
    resourceType: 'Encounter' as const,
    id: 'e2019',
    status: 'finished' as const,
    class: { code: 'AMB' },
    subject: { reference: 'Patient/p1' },
    period: { start: '2019-05-01', end: '2019-05-01' },
    participant: [{ individual: { reference: 'Practitioner/d1' } }],
  },
  {
    resourceType: 'Observation' as const,
    id: 'o2021',
    status: 'final' as const,
    code: { text: 'hr' },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2021-03-04',
    encounter: { reference: 'Encounter/e2019' },
    performer: [{ reference: 'Practitioner/d1' }],
  },
  {
    resourceType: 'MedicationRequest' as const,
    id: 'mr1',
    status: 'active' as const,
    intent: 'order' as const,
    subject: { reference: 'Patient/p1' },
    medicationReference: { reference: 'Medication/m1' },
    authoredOn: '2022-01-01',
  },
  {
    resourceType: 'Flag' as const,
    id: 'nodate',
    status: 'active' as const,
    code: { text: 'f' },
    subject: { reference: 'Patient/p1' },
  },
  // Another patient's resource, referenced from p1's compartment: must not leak.
  {
    resourceType: 'Observation' as const,
    id: 'other',
    status: 'final' as const,
    code: { text: 'x' },
    subject: { reference: 'Patient/p2' },
  },
  {
    resourceType: 'Observation' as const,
    id: 'o-ref-other',
    status: 'final' as const,
    code: { text: 'x' },
    subject: { reference: 'Patient/p1' },
    hasMember: [{ reference: 'Observation/other' }],
    effectiveDateTime: '2021-01-01',
  },
];

const get = async (path: string) => {
  const res = await f.client.json<Bundle>(`/fhir/${path}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

describe('Patient/[id]/$everything', () => {
  it('returns the compartment and the non-patient resources it references, once each', async () => {
    f = await open();
    await f.load(data());
    const b = await get('Patient/p1/$everything');
    expect(b.type).toBe('searchset');
    expect(keys(b)[0]).toBe('Patient/p1');
    expect(keys(b).sort()).toEqual(
      [
        'Patient/p1',
        'Encounter/e2019',
        'Observation/o2021',
        'Observation/o-ref-other',
        'MedicationRequest/mr1',
        'Flag/nodate',
        'Organization/org1',
        'Practitioner/d1',
        'Medication/m1',
      ].sort(),
    );
    expect(new Set(keys(b)).size).toBe(keys(b).length);
    expect(b.total).toBe(keys(b).length);
    const included = b.entry!.filter((e) => e.search.mode === 'include').map((e) => e.resource.id);
    expect(included.sort()).toEqual(['d1', 'm1', 'org1']);
    expect(b.entry![0]!.fullUrl).toBe('http://localhost/fhir/Patient/p1');
  });

  it('applies start/end to resources with a care date and keeps the ones without', async () => {
    f = await open();
    await f.load(data());
    const b = await get('Patient/p1/$everything?start=2021-01-01&end=2021-12-31');
    expect(keys(b).sort()).toEqual(
      [
        'Patient/p1',
        'Observation/o2021',
        'Observation/o-ref-other',
        'Flag/nodate',
        'Organization/org1',
        'Practitioner/d1',
      ].sort(),
    );
    const onlyEnd = await get('Patient/p1/$everything?end=2019-12-31');
    expect(keys(onlyEnd)).toContain('Encounter/e2019');
    expect(keys(onlyEnd)).not.toContain('MedicationRequest/mr1');
  });

  it('filters by _type (also the referenced resources) and _since', async () => {
    f = await open();
    await f.load(data());
    expect(keys(await get('Patient/p1/$everything?_type=Observation,Medication')).sort()).toEqual([
      'Medication/m1',
      'Observation/o-ref-other',
      'Observation/o2021',
    ]);
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await f.load([
      {
        resourceType: 'Flag',
        id: 'nodate',
        status: 'inactive',
        code: { text: 'f' },
        subject: { reference: 'Patient/p1' },
      },
    ]);
    expect(keys(await get(`Patient/p1/$everything?_since=${encodeURIComponent(since)}`))).toEqual([
      'Flag/nodate',
    ]);
    const bad = await f.client.json('/fhir/Patient/p1/$everything?_type=Nope');
    expect(bad.status).toBe(400);
  });

  it('pages with _count and a cursor, without duplicates or gaps', async () => {
    f = await open();
    await f.load(data());
    const all = keys(await get('Patient/p1/$everything'));
    const seen: string[] = [];
    let url: string | undefined = 'Patient/p1/$everything?_count=2';
    let pages = 0;
    while (url) {
      const b = await get(url.replace('http://localhost/fhir/', ''));
      seen.push(...keys(b));
      expect(b.total).toBe(all.length);
      url = b.link.find((l) => l.relation === 'next')?.url;
      pages++;
    }
    expect(pages).toBe(Math.ceil(all.length / 2));
    expect(seen).toEqual(all);
  });

  it('supports POST with a Parameters body and _elements', async () => {
    f = await open();
    await f.load(data());
    const res = await f.client.json<Bundle>('/fhir/Patient/p1/$everything?_elements=id', {
      method: 'POST',
      body: { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient' }] },
    });
    expect(res.status).toBe(200);
    expect(keys(res.body)).toEqual(['Patient/p1']);
    expect(res.body.entry![0]!.resource).not.toHaveProperty('managingOrganization');
  });

  it('answers 404 for an unknown patient, 410 for a deleted one, and honours the access policy', async () => {
    f = await open({
      access: { canRead: (_ctx, r) => !(r.resourceType === 'Practitioner' || r.id === 'hidden') },
    });
    await f.load([...data(), { resourceType: 'Patient', id: 'hidden' }]);
    expect((await f.client.json('/fhir/Patient/nope/$everything')).status).toBe(404);
    expect((await f.client.json('/fhir/Patient/hidden/$everything')).status).toBe(404);
    const b = await get('Patient/p1/$everything');
    expect(keys(b).some((k) => k.startsWith('Practitioner/'))).toBe(false);
    await f.store.commit([{ op: 'delete', resourceType: 'Patient', id: 'p2' }]);
    expect((await f.client.json('/fhir/Patient/p2/$everything')).status).toBe(410);
  });

  it('sees a move between patients written just before (read-your-writes)', async () => {
    f = await open();
    await f.load(data());
    await f.store.commit([
      {
        op: 'update',
        resource: {
          resourceType: 'Flag',
          id: 'nodate',
          status: 'active',
          code: { text: 'f' },
          subject: { reference: 'Patient/p2' },
        },
      },
    ]);
    expect(keys(await get('Patient/p1/$everything'))).not.toContain('Flag/nodate');
    expect(keys(await get('Patient/p2/$everything'))).toContain('Flag/nodate');
  });
});

describe('Patient/$everything (all patients)', () => {
  it('pages through every patient compartment and the referenced resources, no duplicates', async () => {
    f = await open();
    await f.load([
      ...data(),
      // In both compartments: must appear once.
      {
        resourceType: 'Observation',
        id: 'shared',
        status: 'final',
        code: { text: 's' },
        subject: { reference: 'Patient/p1' },
        performer: [{ reference: 'Patient/p2' }],
      },
    ]);
    const seen: string[] = [];
    let url: string | undefined = 'Patient/$everything?_count=3';
    while (url) {
      const b = await get(url.replace('http://localhost/fhir/', ''));
      seen.push(...keys(b));
      url = b.link.find((l) => l.relation === 'next')?.url;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(
      [
        'Patient/p1',
        'Encounter/e2019',
        'Observation/o2021',
        'Observation/o-ref-other',
        'MedicationRequest/mr1',
        'Flag/nodate',
        'Observation/shared',
        'Patient/p2',
        'Observation/other',
        'Organization/org1',
        'Practitioner/d1',
        'Medication/m1',
      ].sort(),
    );
  });
});
