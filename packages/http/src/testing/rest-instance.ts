import { describe, expect, it } from 'vitest';
import type { Bundle } from './fhir-types.js';
import { expectOutcome, type RestSuite, uid } from './rest-suite.js';

/** The REST suite: instance interactions. */
export function describeInstanceInteractions(suite: RestSuite): void {
  describe('instance interactions', () => {
    it('create assigns an id and answers 201 with Location, ETag and Last-Modified', async () => {
      const res = await suite.call('Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', id: 'ignored-by-create', name: [{ family: 'Create' }] },
      });
      expect(res.status, res.text).toBe(201);
      const id = res.body.id as string;
      expect(id).toBeTruthy();
      expect(id).not.toBe('ignored-by-create');
      expect(res.body.meta.versionId).toBe('1');
      expect(res.headers.get('location')).toBe(`${suite.mounted.baseUrl}/Patient/${id}/_history/1`);
      expect(res.headers.get('etag')).toBe('W/"1"');
      const lastModified = res.headers.get('last-modified');
      expect(lastModified).toBeTruthy();
      expect(Date.parse(lastModified!)).toBe(Math.floor(Date.parse(res.body.meta.lastUpdated) / 1000) * 1000);
    });

    it('read and vread answer the stored version; unknown ids, versions and types answer 404', async () => {
      const p = await suite.createPatient({ name: [{ family: 'Read' }] });
      const read = await suite.call(`Patient/${p.id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get('etag')).toBe('W/"1"');
      expect(read.headers.get('last-modified')).toBeTruthy();
      expect(read.body).toMatchObject({ resourceType: 'Patient', id: p.id, name: [{ family: 'Read' }] });
      const vread = await suite.call(`Patient/${p.id}/_history/1`);
      expect(vread.status).toBe(200);
      expect(vread.body.meta.versionId).toBe('1');
      expect(vread.headers.get('etag')).toBe('W/"1"');
      expectOutcome(await suite.call(`Patient/${p.id}/_history/9`), 404);
      expectOutcome(await suite.call(`Patient/${uid('missing')}`), 404);
      expectOutcome(await suite.call('NotAType/1'), 404);
      const head = await suite.call(`Patient/${p.id}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
    });

    it('update with a new client id creates (201), then updates (200, version 2)', async () => {
      const id = uid('client');
      const created = await suite.call(`Patient/${id}`, {
        method: 'PUT',
        body: { resourceType: 'Patient', id, active: true },
      });
      expect(created.status, created.text).toBe(201);
      expect(created.headers.get('location')).toBe(`${suite.mounted.baseUrl}/Patient/${id}/_history/1`);
      expect(created.headers.get('etag')).toBe('W/"1"');
      expect(created.body).toMatchObject({ id, meta: { versionId: '1' } });
      const updated = await suite.call(`Patient/${id}`, {
        method: 'PUT',
        body: { resourceType: 'Patient', id, active: false },
      });
      expect(updated.status).toBe(200);
      expect(updated.headers.get('etag')).toBe('W/"2"');
      expect(updated.headers.get('location')).toBe(`${suite.mounted.baseUrl}/Patient/${id}/_history/2`);
      expect(updated.body).toMatchObject({ id, active: false, meta: { versionId: '2' } });
      expect((await suite.call(`Patient/${id}`)).body.active).toBe(false);
    });

    it('delete: read then answers 410 and the instance history shows the delete', async () => {
      const p = await suite.createPatient();
      const del = await suite.call(`Patient/${p.id}`, { method: 'DELETE' });
      expect([200, 204]).toContain(del.status);
      expectOutcome(await suite.call(`Patient/${p.id}`), 410);
      expectOutcome(await suite.call(`Patient/${p.id}/_history/2`), 410);
      expect((await suite.call(`Patient/${p.id}/_history/1`)).status).toBe(200);
      const history = await suite.call<Bundle>(`Patient/${p.id}/_history`);
      expect(history.status).toBe(200);
      const entries = history.body.entry!;
      expect(entries).toHaveLength(2);
      expect(entries[0]!.request).toMatchObject({ method: 'DELETE', url: `Patient/${p.id}` });
      expect(entries[0]!.resource).toBeUndefined();
      expect(entries[1]!.resource).toMatchObject({ id: p.id });
      // deleting again is not an error
      expect([200, 204]).toContain((await suite.call(`Patient/${p.id}`, { method: 'DELETE' })).status);
    });
  });
}
