import { describe, expect, it } from 'vitest';
import { expectOutcome, type RestSuite } from './rest-suite.js';

/** The REST suite: patch. */
export function describePatch(suite: RestSuite): void {
  describe('patch', () => {
    it('applies a JSON Patch', async () => {
      const p = await suite.createPatient();
      const res = await suite.call(`Patient/${p.id}`, {
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
      expect((await suite.call(`Patient/${p.id}`)).body.birthDate).toBe('1970-01-01');
    });

    it('applies a FHIRPath Patch', async () => {
      const p = await suite.createPatient({ name: [{ family: 'Before' }] });
      const res = await suite.call(`Patient/${p.id}`, {
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
      const p = await suite.createPatient();
      const json = await suite.call(`Patient/${p.id}`, {
        method: 'PATCH',
        body: [{ op: 'add', path: '/gender', value: 'robot' }],
        headers: { 'content-type': 'application/json-patch+json' },
      });
      expect(json.status).toBeGreaterThanOrEqual(400);
      expect(json.status).toBeLessThan(500);
      expect(json.body.resourceType).toBe('OperationOutcome');
      const fhirpath = await suite.call(`Patient/${p.id}`, {
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
      const idChange = await suite.call(`Patient/${p.id}`, {
        method: 'PATCH',
        body: [{ op: 'replace', path: '/id', value: 'other' }],
        headers: { 'content-type': 'application/json-patch+json' },
      });
      expectOutcome(idChange, 422);
      const failedTest = await suite.call(`Patient/${p.id}`, {
        method: 'PATCH',
        body: [{ op: 'test', path: '/active', value: false }],
        headers: { 'content-type': 'application/json-patch+json' },
      });
      expectOutcome(failedTest, 422);
      const stale = await suite.call(`Patient/${p.id}`, {
        method: 'PATCH',
        body: [{ op: 'replace', path: '/active', value: false }],
        headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"7"' },
      });
      expectOutcome(stale, 412);
      const read = await suite.call(`Patient/${p.id}`);
      expect(read.headers.get('etag')).toBe('W/"1"');
      expect(read.body.gender).toBeUndefined();
      expect(read.body.active).toBe(true);
    });
  });
}
