import { describe, expect, it } from 'vitest';
import type { Bundle } from './fhir-types.js';
import { SUITE_LIMITS } from './fixture.js';
import { expectOutcome, expressions, type RestSuite, SYS, uid } from './rest-suite.js';

/** The REST suite: transaction and batch. */
export function describeBundles(suite: RestSuite): void {
  describe('transaction and batch', () => {
    it('transaction: urn:uuid fullUrls are rewritten into the references', async () => {
      const patientUrl = `urn:uuid:${crypto.randomUUID()}`;
      const res = await suite.call<Bundle>('', {
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
      const obs = await suite.call(`Observation/${obsId}`);
      expect(obs.status).toBe(200);
      expect(obs.body.subject.reference).toBe(`Patient/${patientId}`);
      expect((await suite.call(`Patient/${patientId}`)).status).toBe(200);
    });

    it('transaction: conditional references and If-None-Exist are resolved inside', async () => {
      const value = uid('tx');
      const p = await suite.createPatient({ identifier: [{ system: SYS, value }] });
      const res = await suite.call<Bundle>('', {
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
      const obs = await suite.call(`Observation/${obsEntry!.response!.location!.split('/')[1]}`);
      expect(obs.body.subject.reference).toBe(`Patient/${p.id}`);
      const unresolved = await suite.call('', {
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
      const existing = await suite.createPatient();
      const before = await suite.logHead();
      const invalid = await suite.call('', {
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
      expect(await suite.logHead()).toBe(before);

      const stale = await suite.call('', {
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
      expect(await suite.logHead()).toBe(before);
      expect((await suite.call(`Patient/${existing.id}`)).headers.get('etag')).toBe('W/"1"');
    });

    it('batch: entries succeed or fail independently', async () => {
      const res = await suite.call<Bundle>('', {
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
      expect((await suite.call(created.replace(/\/_history\/.*$/, ''))).status).toBe(200);
    });

    it('a Bundle whose envelope is malformed answers 400, names the element, and runs no entry', async () => {
      const create = {
        resource: { resourceType: 'Patient', name: [{ family: 'Never' }] },
        request: { method: 'POST', url: 'Patient' },
      };
      const cases: Array<[string, unknown, string]> = [
        ['batch', 'abc', 'Bundle.entry'],
        ['batch', [create, null, { request: { method: 'GET', url: 'metadata' } }], 'Bundle.entry[1]'],
        ['batch', [create, 5], 'Bundle.entry[1]'],
        ['transaction', [create, { request: 'GET metadata' }], 'Bundle.entry[1].request'],
        ['transaction', [create, { request: { method: 'POST', url: 5 } }], 'Bundle.entry[1].request.url'],
        [
          'batch',
          [create, { request: { method: 'GET', url: 'metadata', ifNoneExist: [] } }],
          'Bundle.entry[1].request.ifNoneExist',
        ],
        // Checked against the R4 Bundle definition: HTTPVerb is a required binding, entries have no `bogus`.
        [
          'batch',
          [create, { request: { method: 'FETCH', url: 'metadata' } }],
          'Bundle.entry[1].request.method',
        ],
        [
          'transaction',
          [create, { bogus: 1, request: { method: 'GET', url: 'metadata' } }],
          'Bundle.entry[1].bogus',
        ],
      ];
      const before = await suite.logHead();
      for (const [type, entry, expression] of cases) {
        const res = await suite.call('', { method: 'POST', body: { resourceType: 'Bundle', type, entry } });
        const outcome = expectOutcome(res, 400);
        expect(expressions(outcome), `${type} ${JSON.stringify(entry)}`).toContain(expression);
      }
      expect(await suite.logHead()).toBe(before);
    });

    it('a Bundle with too many entries answers 413', async () => {
      const entry = Array.from({ length: SUITE_LIMITS.server.maxBundleEntries + 1 }, () => ({
        request: { method: 'GET', url: 'metadata' },
      }));
      expectOutcome(
        await suite.call('', { method: 'POST', body: { resourceType: 'Bundle', type: 'batch', entry } }),
        413,
      );
      expectOutcome(
        await suite.call('', {
          method: 'POST',
          body: { resourceType: 'Bundle', type: 'collection', entry: [] },
        }),
        400,
      );
    });
  });
}
