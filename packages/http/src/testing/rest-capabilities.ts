import { describe, expect, it } from 'vitest';
import type { CapabilityStatement } from './fhir-types.js';
import type { RestSuite } from './rest-suite.js';

/** The REST suite: capabilities. */
export function describeCapabilities(suite: RestSuite): void {
  describe('capabilities', () => {
    it('GET /metadata lists the resource types with their interactions and search parameters', async () => {
      const res = await suite.call<CapabilityStatement>('metadata');
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
      expect(rest.interaction!.map((i) => i.code)).toEqual(expect.arrayContaining(['transaction', 'batch']));
      const patient = rest.resource!.find((r) => r.type === 'Patient')!;
      expect(patient.interaction!.map((i) => i.code)).toEqual(
        expect.arrayContaining(['read', 'vread', 'update', 'patch', 'delete', 'create', 'history-instance']),
      );
      expect(rest.resource!.length).toBeGreaterThan(100);
      expect(patient.interaction!.map((i) => i.code)).toContain('search-type');
      expect(patient.searchParam!.map((p) => p.name)).toEqual(
        expect.arrayContaining(['identifier', 'name', 'birthdate']),
      );
      expect(patient.conditionalCreate).toBe(true);
    });
  });
}
