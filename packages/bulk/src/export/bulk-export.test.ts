import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BulkFixture, type FixtureOptions, openBulkFixture } from '../testing/fixture.js';
import { type BulkExport, type BulkExportOptions, bulkExport } from './bulk-export.js';

let f: BulkFixture;
let exp: BulkExport;
afterEach(async () => {
  await exp?.close();
  await f?.close();
});

const ASYNC = { prefer: 'respond-async', accept: 'application/fhir+json' };

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  deleted: Array<{ type: string; url: string; count: number }>;
  error: unknown[];
}

async function open(options: Partial<BulkExportOptions> = {}, fixture: FixtureOptions = {}) {
  f = await openBulkFixture({
    search: false,
    ...fixture,
    operations: ({ store, dir }) => {
      exp = bulkExport({ store, directory: join(dir, 'exports'), ...options });
      return exp.operations;
    },
  });
}

const patients = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    resourceType: 'Patient' as const,
    id: `p${i}`,
    gender: 'female' as const,
  }));
const obs = (id: string, p: string) => ({
  resourceType: 'Observation' as const,
  id,
  status: 'final' as const,
  code: { text: 'x' },
  subject: { reference: `Patient/${p}` },
});

async function kickOff(path: string, init: Parameters<BulkFixture['client']['request']>[1] = {}) {
  const res = await f.client.request(`/fhir/${path}`, {
    ...init,
    headers: { ...ASYNC, ...(init.headers as object) },
  });
  expect(res.status, await res.clone().text()).toBe(202);
  return res.headers.get('content-location')!;
}

async function poll(statusUrl: string): Promise<Manifest> {
  for (let i = 0; i < 500; i++) {
    const res = await f.client.request(statusUrl);
    if (res.status === 200) {
      expect(res.headers.get('content-type')).toContain('application/json');
      return (await res.json()) as Manifest;
    }
    expect(res.status, await res.clone().text()).toBe(202);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('export did not finish');
}

async function download(m: Manifest, type?: string): Promise<Array<Record<string, unknown>>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const o of m.output.filter((x) => !type || x.type === type)) {
    const res = await f.client.request(o.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/fhir+ndjson');
    const text = await res.text();
    const parsed = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.length).toBe(o.count);
    lines.push(...parsed);
  }
  return lines;
}

const gate = () => {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
};

describe('Bulk Data export: kick-off and manifest', () => {
  it('requires Prefer: respond-async and a supported _outputFormat', async () => {
    await open();
    expect((await f.client.request('/fhir/$export')).status).toBe(400);
    const bad = await f.client.request('/fhir/$export?_outputFormat=text/csv', { headers: ASYNC });
    expect(bad.status).toBe(400);
    for (const format of ['application/fhir+ndjson', 'application/ndjson', 'ndjson'])
      await poll(await kickOff(`$export?_outputFormat=${encodeURIComponent(format)}`));
  });

  it('exports every type to ndjson files split at the line limit, served with application/fhir+ndjson', async () => {
    await open({ maxLinesPerFile: 2 });
    await f.load([...patients(5), obs('o1', 'p1'), { resourceType: 'Practitioner', id: 'd1' }]);
    const location = await kickOff('$export');
    expect(location).toMatch(/^http:\/\/localhost\/fhir\/\$export-status\?_jobId=/);
    const m = await poll(location);
    expect(m.request).toBe('http://localhost/fhir/$export');
    expect(m.requiresAccessToken).toBe(false);
    expect(Date.parse(m.transactionTime)).not.toBeNaN();
    expect(m.deleted).toEqual([]);
    expect(m.error).toEqual([]);
    expect(m.output.filter((o) => o.type === 'Patient').map((o) => o.count)).toEqual([2, 2, 1]);
    expect(m.output.filter((o) => o.type !== 'Patient').map((o) => [o.type, o.count])).toEqual([
      ['Observation', 1],
      ['Practitioner', 1],
    ]);
    const ps = await download(m, 'Patient');
    expect(ps.map((p) => p.id).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect((ps[0]!.meta as { versionId: string }).versionId).toBe('1');
  });

  it('filters by _type and applies _elements; accepts a POST Parameters kick-off', async () => {
    await open();
    await f.load([...patients(2), obs('o1', 'p1')]);
    const m = await poll(await kickOff('$export?_type=Patient&_elements=id,gender'));
    expect(m.output.map((o) => o.type)).toEqual(['Patient']);
    const ps = await download(m);
    expect(Object.keys(ps[0]!).sort()).toEqual(['gender', 'id', 'meta', 'resourceType']);
    const post = await poll(
      await kickOff('$export', {
        method: 'POST',
        body: {
          resourceType: 'Parameters',
          parameter: [
            { name: '_type', valueString: 'Observation' },
            { name: '_outputFormat', valueString: 'application/fhir+ndjson' },
          ],
        },
      }),
    );
    expect(post.output.map((o) => o.type)).toEqual(['Observation']);
  });

  it('exports patient compartments at Patient and Group level', async () => {
    await open();
    await f.load([
      ...patients(3),
      obs('o0', 'p0'),
      obs('o1', 'p1'),
      obs('o2', 'p2'),
      { resourceType: 'Practitioner', id: 'd1' },
      {
        resourceType: 'Group',
        id: 'g1',
        type: 'person',
        actual: true,
        member: [{ entity: { reference: 'Patient/p0' } }, { entity: { reference: 'Patient/p2' } }],
      },
    ]);
    const all = await poll(await kickOff('Patient/$export'));
    expect(all.output.map((o) => o.type)).toEqual(['Group', 'Observation', 'Patient']);
    const group = await poll(await kickOff('Group/g1/$export?_type=Patient,Observation'));
    expect((await download(group)).map((r) => `${r.resourceType}/${r.id}`).sort()).toEqual([
      'Observation/o0',
      'Observation/o2',
      'Patient/p0',
      'Patient/p2',
    ]);
    expect((await f.client.request('/fhir/Group/nope/$export', { headers: ASYNC })).status).toBe(404);
  });

  it('lists deletes since _since as transaction Bundles of DELETE entries', async () => {
    await open();
    await f.load([...patients(3)]);
    await new Promise((r) => setTimeout(r, 5));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await f.store.commit([{ op: 'delete', resourceType: 'Patient', id: 'p1' }]);
    await f.load([{ resourceType: 'Patient', id: 'p2', gender: 'male' }]);
    const m = await poll(await kickOff(`$export?_since=${encodeURIComponent(since)}`));
    expect((await download(m)).map((r) => r.id)).toEqual(['p2']);
    expect(m.deleted.length).toBe(1);
    const res = await f.client.request(m.deleted[0]!.url);
    const bundle = JSON.parse((await res.text()).trim());
    expect(bundle).toEqual({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: 'Patient/p1' } }],
    });
    const full = await poll(await kickOff('$export'));
    expect(full.deleted).toEqual([]);
    expect((await download(full)).map((r) => r.id).sort()).toEqual(['p0', 'p2']);
  });

  it('answers _typeFilter with 400 when there is no search engine', async () => {
    await open();
    const res = await f.client.request(
      `/fhir/$export?_typeFilter=${encodeURIComponent('Patient?gender=male')}`,
      { headers: ASYNC },
    );
    expect(res.status).toBe(400);
  });

  it('applies _typeFilter through the search engine when there is one', async (t) => {
    await open({}, { search: true });
    const lmdb = (await import('@fhirstream/lmdb')) as Record<string, unknown>;
    if (!lmdb.createLmdbSearchEngine) t.skip();
    await f.load([...patients(3), { resourceType: 'Patient', id: 'm1', gender: 'male' }]);
    const m = await poll(
      await kickOff(`$export?_type=Patient&_typeFilter=${encodeURIComponent('Patient?gender=male')}`),
    );
    expect((await download(m)).map((r) => r.id)).toEqual(['m1']);
  });
});

describe('Bulk Data export: jobs', () => {
  it('answers 202 with X-Progress while running, and is consistent as of the kick-off while writes continue', async () => {
    const g = gate();
    await open({ beforeType: () => g.promise });
    await f.load([...patients(3), obs('o1', 'p1')]);
    const location = await kickOff('$export');
    const running = await f.client.request(location);
    expect(running.status).toBe(202);
    expect(running.headers.get('x-progress')).toBeTruthy();
    expect(running.headers.get('retry-after')).toBeTruthy();
    // Writes after the kick-off must not appear.
    await f.load([
      { resourceType: 'Patient', id: 'p0', gender: 'male' },
      { resourceType: 'Patient', id: 'late' },
      obs('o2', 'p2'),
    ]);
    await f.store.commit([{ op: 'delete', resourceType: 'Observation', id: 'o1' }]);
    g.release();
    const m = await poll(location);
    const rows = await download(m);
    expect(rows.map((r) => `${r.resourceType}/${r.id}`).sort()).toEqual([
      'Observation/o1',
      'Patient/p0',
      'Patient/p1',
      'Patient/p2',
    ]);
    expect(rows.find((r) => r.id === 'p0')!.gender).toBe('female');
    expect(Date.parse(m.transactionTime)).toBeLessThanOrEqual(Date.now());
  });

  it('cancels with DELETE on the status URL (202, then 404)', async () => {
    const g = gate();
    await open({ beforeType: () => g.promise });
    await f.load(patients(2));
    const location = await kickOff('$export');
    const del = await f.client.request(location, { method: 'DELETE' });
    expect(del.status).toBe(202);
    g.release();
    expect((await f.client.request(location)).status).toBe(404);
  });

  it('answers 429 beyond the configured number of concurrent exports', async () => {
    const g = gate();
    await open({ maxConcurrent: 1, beforeType: () => g.promise });
    await f.load(patients(1));
    const first = await kickOff('$export');
    const second = await f.client.request('/fhir/$export', { headers: ASYNC });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeTruthy();
    g.release();
    await poll(first);
    expect((await f.client.request('/fhir/$export', { headers: ASYNC })).status).toBe(202);
  });

  it('survives a restart and resumes the job', async () => {
    const g = gate();
    let calls = 0;
    await open({ beforeType: async () => (++calls === 2 ? g.promise : undefined) });
    await f.load([...patients(3), obs('o1', 'p1')]);
    const location = await kickOff('$export');
    while (calls < 2) await new Promise((r) => setTimeout(r, 5));
    const dir = f.dir;
    const closing = exp.close();
    g.release();
    await closing;
    await f.close(true);
    await open({}, { dir });
    const m = await poll(location);
    expect(m.output.map((o) => [o.type, o.count])).toEqual([
      ['Observation', 1],
      ['Patient', 3],
    ]);
    expect((await download(m)).length).toBe(4);
  });
});
