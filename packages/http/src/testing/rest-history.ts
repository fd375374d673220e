import { describe, expect, it } from 'vitest';
import type { Bundle } from './fhir-types.js';
import { SUITE_LIMITS } from './fixture.js';
import { expectOutcome, type RestResult, type RestSuite, sleep, uid } from './rest-suite.js';

/** The REST suite: history. */
export function describeHistory(suite: RestSuite): void {
  describe('history', () => {
    it('instance history is newest first and pages with _count and next links', async () => {
      const p = await suite.createPatient();
      for (let v = 2; v <= 5; v++) {
        const res = await suite.call(`Patient/${p.id}`, {
          method: 'PUT',
          body: { resourceType: 'Patient', id: p.id, birthDate: `200${v}-01-01` },
        });
        expect(res.status).toBe(200);
      }
      const versions: string[] = [];
      let url: string | undefined = `Patient/${p.id}/_history?_count=2`;
      let pages = 0;
      while (url) {
        const page: RestResult<Bundle> = await suite.call<Bundle>(url);
        expect(page.status).toBe(200);
        expect(page.body).toMatchObject({ resourceType: 'Bundle', type: 'history' });
        expect(page.body.entry!.length).toBeLessThanOrEqual(2);
        for (const e of page.body.entry!) versions.push(e.response!.etag!);
        url = page.body.link?.find((l) => l.relation === 'next')?.url;
        if (url) expect(url.startsWith(suite.mounted.baseUrl)).toBe(true);
        pages++;
      }
      expect(versions).toEqual(['W/"5"', 'W/"4"', 'W/"3"', 'W/"2"', 'W/"1"']);
      expect(pages).toBe(3);
    });

    it('type and system history with _since, and instance history with _at', async () => {
      await sleep(5);
      const t0 = new Date().toISOString();
      await sleep(5);
      const a = await suite.call('Device', { method: 'POST', body: { resourceType: 'Device' } });
      expect(a.status).toBe(201);
      const id = a.body.id as string;
      await sleep(15);
      const between = new Date().toISOString();
      await sleep(15);
      const a2 = await suite.call(`Device/${id}`, {
        method: 'PUT',
        body: { resourceType: 'Device', id, status: 'active' },
      });
      expect(a2.status).toBe(200);
      const b = await suite.call('Device', { method: 'POST', body: { resourceType: 'Device' } });
      expect(b.status).toBe(201);

      const type = await suite.call<Bundle>(`Device/_history?_since=${encodeURIComponent(t0)}`);
      expect(type.status).toBe(200);
      expect(type.body.entry!.map((e) => `${e.resource!.id}/${e.response!.etag}`)).toEqual([
        `${b.body.id}/W/"1"`,
        `${id}/W/"2"`,
        `${id}/W/"1"`,
      ]);
      expect(type.body.entry![2]!.request).toMatchObject({ method: 'POST', url: 'Device' });
      expect(type.body.entry![1]!.request).toMatchObject({ method: 'PUT', url: `Device/${id}` });

      const system = await suite.call<Bundle>(`_history?_since=${encodeURIComponent(between)}`);
      expect(system.status).toBe(200);
      expect(system.body.entry!.map((e) => `${e.resource!.resourceType}/${e.resource!.id}`)).toEqual([
        `Device/${b.body.id}`,
        `Device/${id}`,
      ]);

      const at = await suite.call<Bundle>(`Device/${id}/_history?_at=${encodeURIComponent(between)}`);
      expect(at.status).toBe(200);
      expect(at.body.entry!.map((e) => e.response!.etag)).toEqual(['W/"1"']);

      expectOutcome(await suite.call('_history?_since=not-a-date'), 400);
      expectOutcome(await suite.call(`Device/${uid('nope')}/_history`), 404);
    });

    it('caps _count above the maximum', async () => {
      const p = await suite.createPatient();
      const max = SUITE_LIMITS.server.maxCount;
      for (let v = 2; v <= max + 2; v++) {
        const res = await suite.call(`Patient/${p.id}`, {
          method: 'PUT',
          body: { resourceType: 'Patient', id: p.id, active: v % 2 === 0 },
        });
        expect(res.status).toBe(200);
      }
      const res = await suite.call<Bundle>(`Patient/${p.id}/_history?_count=1000`);
      expect(res.status).toBe(200);
      expect(res.body.entry).toHaveLength(max);
      expect(res.body.link?.some((l) => l.relation === 'next')).toBe(true);
      expectOutcome(await suite.call(`Patient/${p.id}/_history?_count=-1`), 400);
    });
  });
}
