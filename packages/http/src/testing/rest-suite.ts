import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, BundleEntry, CapabilityStatement, OperationOutcome, Resource } from './fhir-types.js';
import { SUITE_LIMITS } from './fixture.js';

/** A Fhirstream app listening (or reachable in-process) for the REST suite. */
export interface Mounted {
  /** The FHIR base URL, e.g. `http://127.0.0.1:4711/fhir`. */
  baseUrl: string;
  /** Stop the app, close the store and delete its files. */
  close(): Promise<void>;
  /** How to send a request (default: the global `fetch`, over the network). */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

/** A response, read. */
export interface RestResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are probed freely
  body: T & Record<string, any>;
}

interface CallInit {
  method?: string;
  /** An object is sent as FHIR JSON; a string as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A small REST client on a mount: paths are relative to the FHIR base (or absolute URLs, e.g. `next` links). */
export function restClient(mounted: Mounted) {
  const send = mounted.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init));
  return async function call<T = Record<string, unknown>>(
    path: string,
    init: CallInit = {},
  ): Promise<RestResult<T>> {
    const url = /^https?:/.test(path) ? path : `${mounted.baseUrl}/${path}`;
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (typeof init.body === 'string') body = init.body;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/fhir+json';
    }
    const res = await send(url, {
      method: init.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed as RestResult<T>['body'] };
  };
}

const SYS = 'http://fhirstream.test/id';
let counter = 0;
/** A value unique in this process, for identifiers and ids. */
function uid(prefix = 'u'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectOutcome(res: RestResult, status: number): OperationOutcome {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  expect(res.body?.resourceType, res.text).toBe('OperationOutcome');
  expect((res.body as unknown as OperationOutcome).issue.length).toBeGreaterThan(0);
  return res.body as unknown as OperationOutcome;
}

function expressions(outcome: OperationOutcome): string[] {
  return outcome.issue.flatMap((i) => i.expression ?? []);
}

/** A deterministic PRNG (mulberry32), so that a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The shared REST conformance suite: every interaction of the FHIR R4 REST
 * API over a real LMDB store, through one framework mount. `mount` is called
 * once for the suite (and again by the tests that need an empty store).
 *
 * @example
 * ```ts
 * describeRestApi('node:http', mountNodeHttp);
 * ```
 */
export function describeRestApi(name: string, mount: () => Promise<Mounted>): void {
  describe(`FHIR REST API over ${name}`, () => {
    let mounted: Mounted;
    let call: ReturnType<typeof restClient>;

    beforeAll(async () => {
      mounted = await mount();
      call = restClient(mounted);
    });
    afterAll(async () => {
      await mounted?.close();
    });

    const createPatient = async (extra: Record<string, unknown> = {}) => {
      const res = await call<Resource>('Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', active: true, ...extra },
        headers: { prefer: 'return=representation' },
      });
      expect(res.status, res.text).toBe(201);
      return res.body as Resource & { id: string };
    };

    /** The newest entry of the system history: moves with every write. */
    const logHead = async () => {
      const res = await call<Bundle>('_history?_count=1');
      expect(res.status).toBe(200);
      const entry = res.body.entry?.[0] as BundleEntry | undefined;
      return entry ? `${entry.fullUrl} ${entry.response?.etag} ${entry.response?.lastModified}` : 'empty';
    };

    describe('instance interactions', () => {
      it('create assigns an id and answers 201 with Location, ETag and Last-Modified', async () => {
        const res = await call('Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', id: 'ignored-by-create', name: [{ family: 'Create' }] },
        });
        expect(res.status, res.text).toBe(201);
        const id = res.body.id as string;
        expect(id).toBeTruthy();
        expect(id).not.toBe('ignored-by-create');
        expect(res.body.meta.versionId).toBe('1');
        expect(res.headers.get('location')).toBe(`${mounted.baseUrl}/Patient/${id}/_history/1`);
        expect(res.headers.get('etag')).toBe('W/"1"');
        const lastModified = res.headers.get('last-modified');
        expect(lastModified).toBeTruthy();
        expect(Date.parse(lastModified!)).toBe(
          Math.floor(Date.parse(res.body.meta.lastUpdated) / 1000) * 1000,
        );
      });

      it('read and vread answer the stored version; unknown ids, versions and types answer 404', async () => {
        const p = await createPatient({ name: [{ family: 'Read' }] });
        const read = await call(`Patient/${p.id}`);
        expect(read.status).toBe(200);
        expect(read.headers.get('etag')).toBe('W/"1"');
        expect(read.headers.get('last-modified')).toBeTruthy();
        expect(read.body).toMatchObject({ resourceType: 'Patient', id: p.id, name: [{ family: 'Read' }] });
        const vread = await call(`Patient/${p.id}/_history/1`);
        expect(vread.status).toBe(200);
        expect(vread.body.meta.versionId).toBe('1');
        expect(vread.headers.get('etag')).toBe('W/"1"');
        expectOutcome(await call(`Patient/${p.id}/_history/9`), 404);
        expectOutcome(await call(`Patient/${uid('missing')}`), 404);
        expectOutcome(await call('NotAType/1'), 404);
        const head = await call(`Patient/${p.id}`, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.text).toBe('');
      });

      it('update with a new client id creates (201), then updates (200, version 2)', async () => {
        const id = uid('client');
        const created = await call(`Patient/${id}`, {
          method: 'PUT',
          body: { resourceType: 'Patient', id, active: true },
        });
        expect(created.status, created.text).toBe(201);
        expect(created.headers.get('location')).toBe(`${mounted.baseUrl}/Patient/${id}/_history/1`);
        expect(created.headers.get('etag')).toBe('W/"1"');
        expect(created.body).toMatchObject({ id, meta: { versionId: '1' } });
        const updated = await call(`Patient/${id}`, {
          method: 'PUT',
          body: { resourceType: 'Patient', id, active: false },
        });
        expect(updated.status).toBe(200);
        expect(updated.headers.get('etag')).toBe('W/"2"');
        expect(updated.headers.get('location')).toBe(`${mounted.baseUrl}/Patient/${id}/_history/2`);
        expect(updated.body).toMatchObject({ id, active: false, meta: { versionId: '2' } });
        expect((await call(`Patient/${id}`)).body.active).toBe(false);
      });

      it('delete: read then answers 410 and the instance history shows the delete', async () => {
        const p = await createPatient();
        const del = await call(`Patient/${p.id}`, { method: 'DELETE' });
        expect([200, 204]).toContain(del.status);
        expectOutcome(await call(`Patient/${p.id}`), 410);
        expectOutcome(await call(`Patient/${p.id}/_history/2`), 410);
        expect((await call(`Patient/${p.id}/_history/1`)).status).toBe(200);
        const history = await call<Bundle>(`Patient/${p.id}/_history`);
        expect(history.status).toBe(200);
        const entries = history.body.entry!;
        expect(entries).toHaveLength(2);
        expect(entries[0]!.request).toMatchObject({ method: 'DELETE', url: `Patient/${p.id}` });
        expect(entries[0]!.resource).toBeUndefined();
        expect(entries[1]!.resource).toMatchObject({ id: p.id });
        // deleting again is not an error
        expect([200, 204]).toContain((await call(`Patient/${p.id}`, { method: 'DELETE' })).status);
      });
    });

    describe('history', () => {
      it('instance history is newest first and pages with _count and next links', async () => {
        const p = await createPatient();
        for (let v = 2; v <= 5; v++) {
          const res = await call(`Patient/${p.id}`, {
            method: 'PUT',
            body: { resourceType: 'Patient', id: p.id, birthDate: `200${v}-01-01` },
          });
          expect(res.status).toBe(200);
        }
        const versions: string[] = [];
        let url: string | undefined = `Patient/${p.id}/_history?_count=2`;
        let pages = 0;
        while (url) {
          const page: RestResult<Bundle> = await call<Bundle>(url);
          expect(page.status).toBe(200);
          expect(page.body).toMatchObject({ resourceType: 'Bundle', type: 'history' });
          expect(page.body.entry!.length).toBeLessThanOrEqual(2);
          for (const e of page.body.entry!) versions.push(e.response!.etag!);
          url = page.body.link?.find((l) => l.relation === 'next')?.url;
          if (url) expect(url.startsWith(mounted.baseUrl)).toBe(true);
          pages++;
        }
        expect(versions).toEqual(['W/"5"', 'W/"4"', 'W/"3"', 'W/"2"', 'W/"1"']);
        expect(pages).toBe(3);
      });

      it('type and system history with _since, and instance history with _at', async () => {
        await sleep(5);
        const t0 = new Date().toISOString();
        await sleep(5);
        const a = await call('Device', { method: 'POST', body: { resourceType: 'Device' } });
        expect(a.status).toBe(201);
        const id = a.body.id as string;
        await sleep(15);
        const between = new Date().toISOString();
        await sleep(15);
        const a2 = await call(`Device/${id}`, {
          method: 'PUT',
          body: { resourceType: 'Device', id, status: 'active' },
        });
        expect(a2.status).toBe(200);
        const b = await call('Device', { method: 'POST', body: { resourceType: 'Device' } });
        expect(b.status).toBe(201);

        const type = await call<Bundle>(`Device/_history?_since=${encodeURIComponent(t0)}`);
        expect(type.status).toBe(200);
        expect(type.body.entry!.map((e) => `${e.resource!.id}/${e.response!.etag}`)).toEqual([
          `${b.body.id}/W/"1"`,
          `${id}/W/"2"`,
          `${id}/W/"1"`,
        ]);
        expect(type.body.entry![2]!.request).toMatchObject({ method: 'POST', url: 'Device' });
        expect(type.body.entry![1]!.request).toMatchObject({ method: 'PUT', url: `Device/${id}` });

        const system = await call<Bundle>(`_history?_since=${encodeURIComponent(between)}`);
        expect(system.status).toBe(200);
        expect(system.body.entry!.map((e) => `${e.resource!.resourceType}/${e.resource!.id}`)).toEqual([
          `Device/${b.body.id}`,
          `Device/${id}`,
        ]);

        const at = await call<Bundle>(`Device/${id}/_history?_at=${encodeURIComponent(between)}`);
        expect(at.status).toBe(200);
        expect(at.body.entry!.map((e) => e.response!.etag)).toEqual(['W/"1"']);

        expectOutcome(await call('_history?_since=not-a-date'), 400);
        expectOutcome(await call(`Device/${uid('nope')}/_history`), 404);
      });

      it('caps _count above the maximum', async () => {
        const p = await createPatient();
        const max = SUITE_LIMITS.server.maxCount;
        for (let v = 2; v <= max + 2; v++) {
          const res = await call(`Patient/${p.id}`, {
            method: 'PUT',
            body: { resourceType: 'Patient', id: p.id, active: v % 2 === 0 },
          });
          expect(res.status).toBe(200);
        }
        const res = await call<Bundle>(`Patient/${p.id}/_history?_count=1000`);
        expect(res.status).toBe(200);
        expect(res.body.entry).toHaveLength(max);
        expect(res.body.link?.some((l) => l.relation === 'next')).toBe(true);
        expectOutcome(await call(`Patient/${p.id}/_history?_count=-1`), 400);
      });
    });

    describe('capabilities', () => {
      it('GET /metadata lists the resource types with their interactions and search parameters', async () => {
        const res = await call<CapabilityStatement>('metadata');
        expect(res.status).toBe(200);
        const cs = res.body;
        expect(cs).toMatchObject({
          resourceType: 'CapabilityStatement',
          fhirVersion: '4.0.1',
          kind: 'instance',
        });
        expect(cs.format).toContain('application/fhir+json');
        const rest = cs.rest![0]!;
        expect(rest.mode).toBe('server');
        expect(rest.interaction!.map((i) => i.code)).toEqual(
          expect.arrayContaining(['transaction', 'batch']),
        );
        const patient = rest.resource!.find((r) => r.type === 'Patient')!;
        expect(patient.interaction!.map((i) => i.code)).toEqual(
          expect.arrayContaining([
            'read',
            'vread',
            'update',
            'patch',
            'delete',
            'create',
            'history-instance',
          ]),
        );
        expect(rest.resource!.length).toBeGreaterThan(100);
        expect(patient.interaction!.map((i) => i.code)).toContain('search-type');
        expect(patient.searchParam!.map((p) => p.name)).toEqual(
          expect.arrayContaining(['identifier', 'name', 'birthdate']),
        );
        expect(patient.conditionalCreate).toBe(true);
      });
    });

    describe('search and conditional interactions', () => {
      it('type search finds by identifier and pages with next links', async () => {
        const value = uid('search');
        for (let i = 0; i < 3; i++) await createPatient({ identifier: [{ system: SYS, value }] });
        await createPatient({ identifier: [{ system: SYS, value: uid('other') }] });
        const ids = new Set<string>();
        let url: string | undefined = `Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}&_count=2`;
        while (url) {
          const page: RestResult<Bundle> = await call<Bundle>(url);
          expect(page.status, page.text).toBe(200);
          expect(page.body.type).toBe('searchset');
          for (const e of page.body.entry ?? []) if (e.search?.mode === 'match') ids.add(e.resource!.id!);
          url = page.body.link?.find((l) => l.relation === 'next')?.url;
        }
        expect(ids.size).toBe(3);
        const post = await call<Bundle>('Patient/_search', {
          method: 'POST',
          body: `identifier=${encodeURIComponent(`${SYS}|${value}`)}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        expect(post.status, post.text).toBe(200);
        expect(post.body.entry!.filter((e) => e.search?.mode === 'match')).toHaveLength(3);
      });

      it('caps a search _count above the maximum', async () => {
        const res = await call<Bundle>('Patient?_count=1000');
        expect(res.status, res.text).toBe(200);
        expect(res.body.entry!.filter((e) => e.search?.mode === 'match').length).toBeLessThanOrEqual(
          SUITE_LIMITS.server.maxCount,
        );
      });

      it('conditional create: none → 201, one → 200 with it, several → 412', async () => {
        const value = uid('cc');
        const ifNoneExist = `identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
        const body = { resourceType: 'Patient', identifier: [{ system: SYS, value }] };
        const first = await call('Patient', {
          method: 'POST',
          body,
          headers: { 'if-none-exist': ifNoneExist },
        });
        expect(first.status, first.text).toBe(201);
        const second = await call('Patient', {
          method: 'POST',
          body,
          headers: { 'if-none-exist': ifNoneExist },
        });
        expect(second.status, second.text).toBe(200);
        expect(second.body.id).toBe(first.body.id);
        expect(second.headers.get('etag')).toBe('W/"1"');
        await createPatient({ identifier: [{ system: SYS, value }] });
        expectOutcome(
          await call('Patient', { method: 'POST', body, headers: { 'if-none-exist': ifNoneExist } }),
          412,
        );
      });

      it('conditional update: none → 201, one → 200, several → 412', async () => {
        const value = uid('cu');
        const url = `Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
        const body = { resourceType: 'Patient', identifier: [{ system: SYS, value }], active: true };
        const created = await call(url, { method: 'PUT', body });
        expect(created.status, created.text).toBe(201);
        const updated = await call(url, { method: 'PUT', body: { ...body, active: false } });
        expect(updated.status, updated.text).toBe(200);
        expect(updated.body).toMatchObject({ id: created.body.id, active: false, meta: { versionId: '2' } });
        expect(updated.headers.get('etag')).toBe('W/"2"');
        await createPatient({ identifier: [{ system: SYS, value }] });
        expectOutcome(await call(url, { method: 'PUT', body }), 412);
      });

      it('conditional delete: one is deleted, none succeeds, several → 412', async () => {
        const value = uid('cd');
        const url = `Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
        const p = await createPatient({ identifier: [{ system: SYS, value }] });
        const del = await call(url, { method: 'DELETE' });
        expect([200, 204]).toContain(del.status);
        expectOutcome(await call(`Patient/${p.id}`), 410);
        expect([200, 204]).toContain((await call(url, { method: 'DELETE' })).status);
        await createPatient({ identifier: [{ system: SYS, value }] });
        await createPatient({ identifier: [{ system: SYS, value }] });
        expectOutcome(await call(url, { method: 'DELETE' }), 412);
      });

      it('Prefer: handling=strict refuses an unknown parameter; lenient drops it from self', async () => {
        const strict = await call('Patient?not-a-param=1', { headers: { prefer: 'handling=strict' } });
        expectOutcome(strict, 400);
        const lenient = await call<Bundle>('Patient?not-a-param=1&active=true', {
          headers: { prefer: 'handling=lenient' },
        });
        expect(lenient.status, lenient.text).toBe(200);
        const self = lenient.body.link!.find((l) => l.relation === 'self')!.url;
        expect(self).not.toContain('not-a-param');
        expect(self).toContain('active=true');
      });
    });

    describe('patch', () => {
      it('applies a JSON Patch', async () => {
        const p = await createPatient();
        const res = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: [
            { op: 'replace', path: '/active', value: false },
            { op: 'add', path: '/birthDate', value: '1970-01-01' },
          ],
          headers: { 'content-type': 'application/json-patch+json' },
        });
        expect(res.status, res.text).toBe(200);
        expect(res.headers.get('etag')).toBe('W/"2"');
        expect(res.body).toMatchObject({ active: false, birthDate: '1970-01-01', meta: { versionId: '2' } });
        expect((await call(`Patient/${p.id}`)).body.birthDate).toBe('1970-01-01');
      });

      it('applies a FHIRPath Patch', async () => {
        const p = await createPatient({ name: [{ family: 'Before' }] });
        const res = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: {
            resourceType: 'Parameters',
            parameter: [
              {
                name: 'operation',
                part: [
                  { name: 'type', valueCode: 'replace' },
                  { name: 'path', valueString: 'Patient.name[0].family' },
                  { name: 'value', valueString: 'After' },
                ],
              },
              {
                name: 'operation',
                part: [
                  { name: 'type', valueCode: 'add' },
                  { name: 'path', valueString: 'Patient' },
                  { name: 'name', valueString: 'gender' },
                  { name: 'value', valueCode: 'female' },
                ],
              },
            ],
          },
        });
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({
          name: [{ family: 'After' }],
          gender: 'female',
          meta: { versionId: '2' },
        });
      });

      it('a patch producing an invalid resource is refused and changes nothing', async () => {
        const p = await createPatient();
        const json = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: [{ op: 'add', path: '/gender', value: 'robot' }],
          headers: { 'content-type': 'application/json-patch+json' },
        });
        expect(json.status).toBeGreaterThanOrEqual(400);
        expect(json.status).toBeLessThan(500);
        expect(json.body.resourceType).toBe('OperationOutcome');
        const fhirpath = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: {
            resourceType: 'Parameters',
            parameter: [
              {
                name: 'operation',
                part: [
                  { name: 'type', valueCode: 'add' },
                  { name: 'path', valueString: 'Patient' },
                  { name: 'name', valueString: 'birthDate' },
                  { name: 'value', valueString: 'yesterday' },
                ],
              },
            ],
          },
        });
        expect(fhirpath.status).toBeGreaterThanOrEqual(400);
        expect(fhirpath.status).toBeLessThan(500);
        expect(fhirpath.body.resourceType).toBe('OperationOutcome');
        const idChange = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: [{ op: 'replace', path: '/id', value: 'other' }],
          headers: { 'content-type': 'application/json-patch+json' },
        });
        expectOutcome(idChange, 422);
        const failedTest = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: [{ op: 'test', path: '/active', value: false }],
          headers: { 'content-type': 'application/json-patch+json' },
        });
        expectOutcome(failedTest, 422);
        const stale = await call(`Patient/${p.id}`, {
          method: 'PATCH',
          body: [{ op: 'replace', path: '/active', value: false }],
          headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"7"' },
        });
        expectOutcome(stale, 412);
        const read = await call(`Patient/${p.id}`);
        expect(read.headers.get('etag')).toBe('W/"1"');
        expect(read.body.gender).toBeUndefined();
        expect(read.body.active).toBe(true);
      });
    });

    describe('preconditions and preferences', () => {
      it('If-Match: a stale version answers 412 with an OperationOutcome, the current one updates', async () => {
        const p = await createPatient();
        const body = { resourceType: 'Patient', id: p.id, active: false };
        expect(
          (await call(`Patient/${p.id}`, { method: 'PUT', body, headers: { 'if-match': 'W/"1"' } })).status,
        ).toBe(200);
        const stale = await call(`Patient/${p.id}`, {
          method: 'PUT',
          body,
          headers: { 'if-match': 'W/"1"' },
        });
        const outcome = expectOutcome(stale, 412);
        expect(outcome.issue[0]!.code).toBe('conflict');
        expectOutcome(
          await call(`Patient/${p.id}`, { method: 'DELETE', headers: { 'if-match': 'W/"1"' } }),
          412,
        );
        expect((await call(`Patient/${p.id}`)).headers.get('etag')).toBe('W/"2"');
      });

      it('If-None-Match and If-Modified-Since answer 304', async () => {
        const p = await createPatient();
        const read = await call(`Patient/${p.id}`);
        const notModified = await call(`Patient/${p.id}`, { headers: { 'if-none-match': 'W/"1"' } });
        expect(notModified.status).toBe(304);
        expect(notModified.text).toBe('');
        expect(notModified.headers.get('etag')).toBe('W/"1"');
        expect((await call(`Patient/${p.id}`, { headers: { 'if-none-match': 'W/"0"' } })).status).toBe(200);
        const lastModified = read.headers.get('last-modified')!;
        const since = await call(`Patient/${p.id}`, { headers: { 'if-modified-since': lastModified } });
        expect(since.status).toBe(304);
        const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
        expect((await call(`Patient/${p.id}`, { headers: { 'if-modified-since': earlier } })).status).toBe(
          200,
        );
      });

      it('Prefer: return=minimal | representation | OperationOutcome', async () => {
        const body = { resourceType: 'Patient', active: true };
        const minimal = await call('Patient', {
          method: 'POST',
          body,
          headers: { prefer: 'return=minimal' },
        });
        expect(minimal.status).toBe(201);
        expect(minimal.text).toBe('');
        expect(minimal.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
        expect(minimal.headers.get('etag')).toBe('W/"1"');
        const rep = await call('Patient', {
          method: 'POST',
          body,
          headers: { prefer: 'return=representation' },
        });
        expect(rep.status).toBe(201);
        expect(rep.body).toMatchObject({ resourceType: 'Patient', active: true, meta: { versionId: '1' } });
        const oo = await call('Patient', {
          method: 'POST',
          body,
          headers: { prefer: 'return=OperationOutcome' },
        });
        expect(oo.status).toBe(201);
        expect(oo.body.resourceType).toBe('OperationOutcome');
        expect(oo.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
        const id = rep.body.id as string;
        const updMinimal = await call(`Patient/${id}`, {
          method: 'PUT',
          body: { ...body, id },
          headers: { prefer: 'return=minimal' },
        });
        expect(updMinimal.status).toBe(200);
        expect(updMinimal.text).toBe('');
        expect(updMinimal.headers.get('etag')).toBe('W/"2"');
      });

      it('20 simultaneous PUTs with the same If-Match: exactly one wins, 19 answer 412', async () => {
        const p = await createPatient();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            call(`Patient/${p.id}`, {
              method: 'PUT',
              body: { resourceType: 'Patient', id: p.id, birthDate: `19${String(i + 10)}-01-01` },
              headers: { 'if-match': 'W/"1"' },
            }),
          ),
        );
        const statuses = results.map((r) => r.status).sort();
        expect(statuses.filter((s) => s === 200)).toHaveLength(1);
        expect(statuses.filter((s) => s === 412)).toHaveLength(19);
        for (const r of results.filter((x) => x.status === 412)) expectOutcome(r, 412);
        const history = await call<Bundle>(`Patient/${p.id}/_history`);
        expect(history.body.entry).toHaveLength(2);
      });
    });

    describe('transaction and batch', () => {
      it('transaction: urn:uuid fullUrls are rewritten into the references', async () => {
        const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
        const res = await call<Bundle>('', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                fullUrl: `urn:uuid:${crypto.randomUUID()}`,
                resource: {
                  resourceType: 'Observation',
                  status: 'final',
                  code: { text: 'weight' },
                  subject: { reference: patientUrl },
                },
                request: { method: 'POST', url: 'Observation' },
              },
              {
                fullUrl: patientUrl,
                resource: { resourceType: 'Patient', name: [{ family: 'Tx' }] },
                request: { method: 'POST', url: 'Patient' },
              },
            ],
          },
        });
        expect(res.status, res.text).toBe(200);
        expect(res.body.type).toBe('transaction-response');
        const [obsEntry, patEntry] = res.body.entry!;
        expect(obsEntry!.response!.status).toMatch(/^201/);
        expect(patEntry!.response!.status).toMatch(/^201/);
        expect(patEntry!.response!.location).toMatch(/^Patient\/[^/]+\/_history\/1$/);
        const patientId = patEntry!.response!.location!.split('/')[1]!;
        const obsId = obsEntry!.response!.location!.split('/')[1]!;
        const obs = await call(`Observation/${obsId}`);
        expect(obs.status).toBe(200);
        expect(obs.body.subject.reference).toBe(`Patient/${patientId}`);
        expect((await call(`Patient/${patientId}`)).status).toBe(200);
      });

      it('transaction: conditional references and If-None-Exist are resolved inside', async () => {
        const value = uid('tx');
        const p = await createPatient({ identifier: [{ system: SYS, value }] });
        const res = await call<Bundle>('', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                resource: {
                  resourceType: 'Observation',
                  status: 'final',
                  code: { text: 'height' },
                  subject: { reference: `Patient?identifier=${SYS}|${value}` },
                },
                request: { method: 'POST', url: 'Observation' },
              },
              {
                resource: { resourceType: 'Patient', identifier: [{ system: SYS, value }] },
                request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}|${value}` },
              },
            ],
          },
        });
        expect(res.status, res.text).toBe(200);
        const [obsEntry, patEntry] = res.body.entry!;
        expect(patEntry!.response!.status).toMatch(/^200/);
        expect(patEntry!.response!.location).toBe(`Patient/${p.id}/_history/1`);
        const obs = await call(`Observation/${obsEntry!.response!.location!.split('/')[1]}`);
        expect(obs.body.subject.reference).toBe(`Patient/${p.id}`);
        const unresolved = await call('', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                resource: {
                  resourceType: 'Observation',
                  status: 'final',
                  code: { text: 'x' },
                  subject: { reference: `Patient?identifier=${SYS}|${uid('none')}` },
                },
                request: { method: 'POST', url: 'Observation' },
              },
            ],
          },
        });
        expect(unresolved.status).toBeGreaterThanOrEqual(400);
        expect(unresolved.status).toBeLessThan(500);
        expect(unresolved.body.resourceType).toBe('OperationOutcome');
      });

      it('transaction is all or nothing: a failing entry fails it, names the entry, and writes nothing', async () => {
        const existing = await createPatient();
        const before = await logHead();
        const invalid = await call('', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                resource: { resourceType: 'Patient', name: [{ family: 'Never' }] },
                request: { method: 'POST', url: 'Patient' },
              },
              {
                resource: { resourceType: 'Observation', code: { text: 'no status' } },
                request: { method: 'POST', url: 'Observation' },
              },
              {
                resource: { resourceType: 'Patient', id: existing.id, active: false },
                request: { method: 'PUT', url: `Patient/${existing.id}` },
              },
            ],
          },
        });
        const outcome = expectOutcome(invalid, 400);
        expect(outcome.issue[0]!.diagnostics).toContain('Bundle.entry[1]');
        expect(expressions(outcome)).toContain('Bundle.entry[1]');
        expect(await logHead()).toBe(before);

        const stale = await call('', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              {
                resource: { resourceType: 'Patient', name: [{ family: 'Never' }] },
                request: { method: 'POST', url: 'Patient' },
              },
              {
                resource: { resourceType: 'Patient', id: existing.id, active: false },
                request: { method: 'PUT', url: `Patient/${existing.id}`, ifMatch: 'W/"9"' },
              },
            ],
          },
        });
        expectOutcome(stale, 412);
        expect(await logHead()).toBe(before);
        expect((await call(`Patient/${existing.id}`)).headers.get('etag')).toBe('W/"1"');
      });

      it('batch: entries succeed or fail independently', async () => {
        const res = await call<Bundle>('', {
          method: 'POST',
          body: {
            resourceType: 'Bundle',
            type: 'batch',
            entry: [
              {
                resource: { resourceType: 'Patient', active: true },
                request: { method: 'POST', url: 'Patient' },
              },
              {
                resource: { resourceType: 'Patient', gender: 'robot' },
                request: { method: 'POST', url: 'Patient' },
              },
              { request: { method: 'GET', url: `Patient/${uid('missing')}` } },
              { request: { method: 'GET', url: 'metadata' } },
            ],
          },
        });
        expect(res.status, res.text).toBe(200);
        expect(res.body.type).toBe('batch-response');
        const entries = res.body.entry!;
        expect(entries.map((e) => e.response!.status.slice(0, 3))).toEqual(['201', '400', '404', '200']);
        expect(entries[1]!.response!.outcome?.resourceType).toBe('OperationOutcome');
        expect(entries[3]!.resource?.resourceType).toBe('CapabilityStatement');
        const created = entries[0]!.response!.location!;
        expect((await call(created.replace(/\/_history\/.*$/, ''))).status).toBe(200);
      });

      it('a Bundle with too many entries answers 413', async () => {
        const entry = Array.from({ length: SUITE_LIMITS.server.maxBundleEntries + 1 }, () => ({
          request: { method: 'GET', url: 'metadata' },
        }));
        expectOutcome(
          await call('', { method: 'POST', body: { resourceType: 'Bundle', type: 'batch', entry } }),
          413,
        );
        expectOutcome(
          await call('', { method: 'POST', body: { resourceType: 'Bundle', type: 'collection', entry: [] } }),
          400,
        );
      });
    });

    describe('validation', () => {
      const cases: Array<{ what: string; method: string; path: string; body: unknown; expression?: string }> =
        [
          {
            what: 'an unknown element',
            method: 'POST',
            path: 'Patient',
            body: { resourceType: 'Patient', colour: 'blue' },
            expression: 'Patient.colour',
          },
          {
            what: 'a wrong primitive type',
            method: 'POST',
            path: 'Patient',
            body: { resourceType: 'Patient', active: 'yes' },
            expression: 'Patient.active',
          },
          {
            what: 'a bad date',
            method: 'POST',
            path: 'Patient',
            body: { resourceType: 'Patient', birthDate: '2020-02-30' },
            expression: 'Patient.birthDate',
          },
          {
            what: 'a cardinality violation (object for an array)',
            method: 'POST',
            path: 'Patient',
            body: { resourceType: 'Patient', name: { family: 'One' } },
            expression: 'Patient.name',
          },
          {
            what: 'a missing required element',
            method: 'POST',
            path: 'Observation',
            body: { resourceType: 'Observation', code: { text: 'x' } },
            expression: 'Observation.status',
          },
          {
            what: 'a code outside a required binding',
            method: 'POST',
            path: 'Patient',
            body: { resourceType: 'Patient', gender: 'robot' },
            expression: 'Patient.gender',
          },
          {
            what: "a body id other than the URL's",
            method: 'PUT',
            path: 'Patient/url-id',
            body: { resourceType: 'Patient', id: 'body-id' },
            expression: 'Patient.id',
          },
          {
            what: 'an update without id in the body',
            method: 'PUT',
            path: 'Patient/url-id',
            body: { resourceType: 'Patient' },
            expression: 'Patient.id',
          },
          {
            what: "a resourceType other than the URL's",
            method: 'PUT',
            path: 'Patient/url-id',
            body: { resourceType: 'Observation', id: 'url-id', status: 'final', code: { text: 'x' } },
            expression: 'resourceType',
          },
          {
            what: 'an invalid id',
            method: 'PUT',
            path: 'Patient/bad$id',
            body: { resourceType: 'Patient', id: 'bad$id' },
          },
          { what: 'a body that is not a resource', method: 'POST', path: 'Patient', body: '[1,2]' },
          { what: 'malformed JSON', method: 'POST', path: 'Patient', body: '{"resourceType": "Patient",' },
        ];
      for (const c of cases) {
        it(`${c.what} answers 400${c.expression ? ` pointing at ${c.expression}` : ''}`, async () => {
          const res = await call(c.path, {
            method: c.method,
            body: c.body,
            headers: { 'content-type': 'application/fhir+json' },
          });
          const outcome = expectOutcome(res, 400);
          if (c.expression) expect(expressions(outcome)).toContain(c.expression);
        });
      }
      it('nothing was written by the refused requests', async () => {
        expectOutcome(await call('Patient/url-id'), 404);
      });
    });

    describe('formats and limits', () => {
      it('XML is refused: _format=xml and Accept xml → 406, an XML body → 415', async () => {
        expectOutcome(await call('metadata?_format=xml'), 406);
        expectOutcome(await call('metadata', { headers: { accept: 'application/fhir+xml' } }), 406);
        expect(
          (await call('metadata?_format=json', { headers: { accept: 'application/fhir+xml' } })).status,
        ).toBe(200);
        expect((await call('metadata', { headers: { accept: 'application/fhir+json' } })).status).toBe(200);
        expectOutcome(
          await call('Patient', {
            method: 'POST',
            body: '<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>',
            headers: { 'content-type': 'application/fhir+xml' },
          }),
          415,
        );
        expectOutcome(
          await call('Patient', {
            method: 'POST',
            body: 'active=true',
            headers: { 'content-type': 'text/plain' },
          }),
          415,
        );
      });

      it('a body over the limit answers 413 and writes nothing', async () => {
        const before = await logHead();
        const big = {
          resourceType: 'Patient',
          text: { status: 'generated', div: 'x'.repeat(SUITE_LIMITS.maxBodyBytes + 10) },
        };
        expectOutcome(await call('Patient', { method: 'POST', body: big }), 413);
        expect(await logHead()).toBe(before);
        // the connection (or the handler) is still usable afterwards
        expect((await call('metadata')).status).toBe(200);
      });

      it('a streamed (chunked) body over the limit answers 413 too', async () => {
        const before = await logHead();
        const chunk = new TextEncoder().encode(
          `{"resourceType":"Patient","text":{"div":"${'z'.repeat(16 * 1024)}`,
        );
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent > SUITE_LIMITS.maxBodyBytes * 4) controller.close();
            else {
              sent += chunk.length;
              controller.enqueue(chunk);
            }
          },
        });
        const send = mounted.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init));
        const res = await send(`${mounted.baseUrl}/Patient`, {
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json' },
          body: stream,
          duplex: 'half',
        } as RequestInit);
        expect(res.status).toBe(413);
        expect((await res.json()).resourceType).toBe('OperationOutcome');
        expect(await logHead()).toBe(before);
        expect((await call('metadata')).status).toBe(200);
      });

      it('errors are OperationOutcomes: unknown interactions, methods and operations', async () => {
        expectOutcome(await call('Patient/1/2/3/4/5'), 404);
        expectOutcome(await call('metadata', { method: 'DELETE' }), 405);
        expectOutcome(await call('Patient/$nope'), 404);
        expectOutcome(await call('Patient/%E0%A4%A'), 400);
        expectOutcome(await call('Patient', { method: 'PUT', body: { resourceType: 'Patient' } }), 400);
      });

      it('no input makes the server answer 5xx (200 random requests)', async () => {
        const random = prng(0x5eed + name.length);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
        const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
        const segments = [
          'Patient',
          'Observation',
          'Bundle',
          'NotAType',
          'metadata',
          '_history',
          '_search',
          '$validate',
          '$everything',
          '%zz',
          '%E0%A4%A',
          'a$b',
          '*',
          '1',
          'x'.repeat(80),
          '-',
          '%20',
          'Patient%2F1',
          '_history/1',
        ];
        const queries = [
          '',
          '_count=-1',
          '_count=abc',
          '_count=99999999999999999999',
          '_since=garbage',
          '_since=2020',
          '_at=2020-13',
          '_format=xml',
          '_format=%zz',
          '_summary=bad',
          '_summary=count',
          '_elements=',
          '_elements=name,,',
          'identifier=%7C',
          '_cursor=abc',
          '_cursor=-5',
          '_sort=-nothing',
          '_include=*',
          'name:unknown=x',
          'birthdate=gt',
          '_pretty=true',
          '_id=a&_id=b',
        ];
        const bodies: Array<string | undefined> = [
          undefined,
          '',
          '{',
          'null',
          '[]',
          '"string"',
          '42',
          '{}',
          '{"resourceType":"Patient"}',
          '{"resourceType":"Patient","id":"fuzz-1"}',
          '{"resourceType":"Patient","id":5,"meta":"x"}',
          '{"resourceType":"Bundle","type":"transaction","entry":[{}]}',
          '{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"FOO","url":"x"}}]}',
          '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Observation"}}]}',
          '{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH","url":"Patient/1"},"resource":{"resourceType":"Binary","data":"!!"}}]}',
          '{"resourceType":"Bundle","type":"batch","entry":null}',
          '{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"move"},{"name":"path","valueString":"Patient.(("}]}]}',
          '[{"op":"remove","path":"/nope"}]',
          '[{"op":"bogus"}]',
          '[{"op":"replace","path":"/resourceType","value":"Observation"}]',
          '{"resourceType":"Patient","extension":[{"url":5}],"contained":[{"resourceType":"Nope"}]}',
          `{"resourceType":"Patient","name":[${'{"given":['.repeat(50)}${']}'.repeat(50)}]}`,
          `${'['.repeat(2000)}${']'.repeat(2000)}`,
          `{"resourceType":"Patient","text":{"status":"generated","div":"${'y'.repeat(70_000)}"}}`,
          'identifier=x&name=y',
          '\u0000\u0001\u0002',
        ];
        const contentTypes = [
          undefined,
          'application/fhir+json',
          'application/json',
          'application/json-patch+json',
          'application/x-www-form-urlencoded',
          'application/fhir+xml',
          'text/plain',
          'multipart/form-data; boundary=x',
          'application/fhir+json; charset=latin1',
          'garbage',
        ];
        const extraHeaders: Array<Record<string, string>> = [
          {},
          { 'if-match': 'garbage' },
          { 'if-match': 'W/"1"' },
          { 'if-none-match': '*' },
          { 'if-none-exist': 'identifier=%zz' },
          { 'if-none-exist': '' },
          { 'if-modified-since': 'not a date' },
          { prefer: 'return=OperationOutcome, handling=strict' },
          { prefer: 'respond-async' },
          { accept: 'text/html' },
          { accept: 'application/fhir+json;q=0.1, application/fhir+xml' },
          { 'x-request-id': 'fuzz' },
        ];
        const failures: string[] = [];
        for (let i = 0; i < 200; i++) {
          const method = pick(methods);
          const depth = Math.floor(random() * 4);
          const path = Array.from({ length: depth }, () => pick(segments)).join('/');
          const query = Array.from({ length: Math.floor(random() * 3) }, () => pick(queries))
            .filter(Boolean)
            .join('&');
          const canHaveBody = method !== 'GET' && method !== 'HEAD';
          const body = canHaveBody ? pick(bodies) : undefined;
          const contentType = pick(contentTypes);
          const headers: Record<string, string> = { ...pick(extraHeaders) };
          if (contentType) headers['content-type'] = contentType;
          const url = `${path}${query ? `?${query}` : ''}`;
          const res = await call(url, { method, headers, ...(body !== undefined ? { body } : {}) });
          const label = `#${i} ${method} ${url} ${JSON.stringify(headers)} ${String(body).slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status >= 500) failures.push(label);
          else if (res.status >= 400 && method !== 'HEAD' && res.body?.resourceType !== 'OperationOutcome')
            failures.push(`not an OperationOutcome: ${label}`);
        }
        expect(failures).toEqual([]);
        expect((await call('metadata')).status).toBe(200);
      });
    });
  });
}
