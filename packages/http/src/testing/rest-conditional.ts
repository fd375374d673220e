import { describe, expect, it } from 'vitest';
import type { Bundle } from './fhir-types.js';
import { SUITE_LIMITS } from './fixture.js';
import { expectOutcome, type RestResult, type RestSuite, SYS, uid } from './rest-suite.js';

/** The REST suite: search and conditional interactions. */
export function describeSearchAndConditionals(suite: RestSuite): void {
  describe('search and conditional interactions', () => {
    it('type search finds by identifier and pages with next links', async () => {
      const value = uid('search');
      for (let i = 0; i < 3; i++) await suite.createPatient({ identifier: [{ system: SYS, value }] });
      await suite.createPatient({ identifier: [{ system: SYS, value: uid('other') }] });
      const ids = new Set<string>();
      let url: string | undefined = `Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}&_count=2`;
      while (url) {
        const page: RestResult<Bundle> = await suite.call<Bundle>(url);
        expect(page.status, page.text).toBe(200);
        expect(page.body.type).toBe('searchset');
        for (const e of page.body.entry ?? []) if (e.search?.mode === 'match') ids.add(e.resource!.id!);
        url = page.body.link?.find((l) => l.relation === 'next')?.url;
      }
      expect(ids.size).toBe(3);
      const post = await suite.call<Bundle>('Patient/_search', {
        method: 'POST',
        body: `identifier=${encodeURIComponent(`${SYS}|${value}`)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(post.status, post.text).toBe(200);
      expect(post.body.entry!.filter((e) => e.search?.mode === 'match')).toHaveLength(3);
    });

    it('caps a search _count above the maximum', async () => {
      const res = await suite.call<Bundle>('Patient?_count=1000');
      expect(res.status, res.text).toBe(200);
      expect(res.body.entry!.filter((e) => e.search?.mode === 'match').length).toBeLessThanOrEqual(
        SUITE_LIMITS.server.maxCount,
      );
    });

    it('conditional create: none → 201, one → 200 with it, several → 412', async () => {
      const value = uid('cc');
      const ifNoneExist = `identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
      const body = { resourceType: 'Patient', identifier: [{ system: SYS, value }] };
      const first = await suite.call('Patient', {
        method: 'POST',
        body,
        headers: { 'if-none-exist': ifNoneExist },
      });
      expect(first.status, first.text).toBe(201);
      const second = await suite.call('Patient', {
        method: 'POST',
        body,
        headers: { 'if-none-exist': ifNoneExist },
      });
      expect(second.status, second.text).toBe(200);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers.get('etag')).toBe('W/"1"');
      await suite.createPatient({ identifier: [{ system: SYS, value }] });
      expectOutcome(
        await suite.call('Patient', { method: 'POST', body, headers: { 'if-none-exist': ifNoneExist } }),
        412,
      );
    });

    it('conditional update: none → 201, one → 200, several → 412', async () => {
      const value = uid('cu');
      const url = `Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
      const body = { resourceType: 'Patient', identifier: [{ system: SYS, value }], active: true };
      const created = await suite.call(url, { method: 'PUT', body });
      expect(created.status, created.text).toBe(201);
      const updated = await suite.call(url, { method: 'PUT', body: { ...body, active: false } });
      expect(updated.status, updated.text).toBe(200);
      expect(updated.body).toMatchObject({ id: created.body.id, active: false, meta: { versionId: '2' } });
      expect(updated.headers.get('etag')).toBe('W/"2"');
      await suite.createPatient({ identifier: [{ system: SYS, value }] });
      expectOutcome(await suite.call(url, { method: 'PUT', body }), 412);
    });

    it('conditional delete: one is deleted, none succeeds, several → 412', async () => {
      const value = uid('cd');
      const url = `Patient?identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
      const p = await suite.createPatient({ identifier: [{ system: SYS, value }] });
      const del = await suite.call(url, { method: 'DELETE' });
      expect([200, 204]).toContain(del.status);
      expectOutcome(await suite.call(`Patient/${p.id}`), 410);
      expect([200, 204]).toContain((await suite.call(url, { method: 'DELETE' })).status);
      await suite.createPatient({ identifier: [{ system: SYS, value }] });
      await suite.createPatient({ identifier: [{ system: SYS, value }] });
      expectOutcome(await suite.call(url, { method: 'DELETE' }), 412);
    });

    it('Prefer: handling=strict refuses an unknown parameter; lenient drops it from self', async () => {
      const strict = await suite.call('Patient?not-a-param=1', { headers: { prefer: 'handling=strict' } });
      expectOutcome(strict, 400);
      const lenient = await suite.call<Bundle>('Patient?not-a-param=1&active=true', {
        headers: { prefer: 'handling=lenient' },
      });
      expect(lenient.status, lenient.text).toBe(200);
      const self = lenient.body.link!.find((l) => l.relation === 'self')!.url;
      expect(self).not.toContain('not-a-param');
      expect(self).toContain('active=true');
    });
  });
}
