import { describe, expect, it } from 'vitest';
import type { Bundle } from './fhir-types.js';
import { expectOutcome, type RestSuite } from './rest-suite.js';

/** The REST suite: preconditions and preferences. */
export function describePreconditions(suite: RestSuite): void {
  describe('preconditions and preferences', () => {
    it('If-Match: a stale version answers 412 with an OperationOutcome, the current one updates', async () => {
      const p = await suite.createPatient();
      const body = { resourceType: 'Patient', id: p.id, active: false };
      expect(
        (await suite.call(`Patient/${p.id}`, { method: 'PUT', body, headers: { 'if-match': 'W/"1"' } }))
          .status,
      ).toBe(200);
      const stale = await suite.call(`Patient/${p.id}`, {
        method: 'PUT',
        body,
        headers: { 'if-match': 'W/"1"' },
      });
      const outcome = expectOutcome(stale, 412);
      expect(outcome.issue[0]!.code).toBe('conflict');
      expectOutcome(
        await suite.call(`Patient/${p.id}`, { method: 'DELETE', headers: { 'if-match': 'W/"1"' } }),
        412,
      );
      expect((await suite.call(`Patient/${p.id}`)).headers.get('etag')).toBe('W/"2"');
    });

    it('If-None-Match and If-Modified-Since answer 304', async () => {
      const p = await suite.createPatient();
      const read = await suite.call(`Patient/${p.id}`);
      const notModified = await suite.call(`Patient/${p.id}`, { headers: { 'if-none-match': 'W/"1"' } });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      expect(notModified.headers.get('etag')).toBe('W/"1"');
      expect((await suite.call(`Patient/${p.id}`, { headers: { 'if-none-match': 'W/"0"' } })).status).toBe(
        200,
      );
      const lastModified = read.headers.get('last-modified')!;
      const since = await suite.call(`Patient/${p.id}`, { headers: { 'if-modified-since': lastModified } });
      expect(since.status).toBe(304);
      const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();
      expect(
        (await suite.call(`Patient/${p.id}`, { headers: { 'if-modified-since': earlier } })).status,
      ).toBe(200);
    });

    it('Prefer: return=minimal | representation | OperationOutcome', async () => {
      const body = { resourceType: 'Patient', active: true };
      const minimal = await suite.call('Patient', {
        method: 'POST',
        body,
        headers: { prefer: 'return=minimal' },
      });
      expect(minimal.status).toBe(201);
      expect(minimal.text).toBe('');
      expect(minimal.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
      expect(minimal.headers.get('etag')).toBe('W/"1"');
      const rep = await suite.call('Patient', {
        method: 'POST',
        body,
        headers: { prefer: 'return=representation' },
      });
      expect(rep.status).toBe(201);
      expect(rep.body).toMatchObject({ resourceType: 'Patient', active: true, meta: { versionId: '1' } });
      const oo = await suite.call('Patient', {
        method: 'POST',
        body,
        headers: { prefer: 'return=OperationOutcome' },
      });
      expect(oo.status).toBe(201);
      expect(oo.body.resourceType).toBe('OperationOutcome');
      expect(oo.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
      const id = rep.body.id as string;
      const updMinimal = await suite.call(`Patient/${id}`, {
        method: 'PUT',
        body: { ...body, id },
        headers: { prefer: 'return=minimal' },
      });
      expect(updMinimal.status).toBe(200);
      expect(updMinimal.text).toBe('');
      expect(updMinimal.headers.get('etag')).toBe('W/"2"');
    });

    it('20 simultaneous PUTs with the same If-Match: exactly one wins, 19 answer 412', async () => {
      const p = await suite.createPatient();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          suite.call(`Patient/${p.id}`, {
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
      const history = await suite.call<Bundle>(`Patient/${p.id}/_history`);
      expect(history.body.entry).toHaveLength(2);
    });
  });
}
