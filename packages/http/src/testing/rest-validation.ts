import { describe, expect, it } from 'vitest';
import { expectOutcome, expressions, type RestSuite } from './rest-suite.js';

/** The REST suite: validation. */
export function describeValidation(suite: RestSuite): void {
  describe('validation', () => {
    const cases: Array<{ what: string; method: string; path: string; body: unknown; expression?: string }> = [
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
        const res = await suite.call(c.path, {
          method: c.method,
          body: c.body,
          headers: { 'content-type': 'application/fhir+json' },
        });
        const outcome = expectOutcome(res, 400);
        if (c.expression) expect(expressions(outcome)).toContain(c.expression);
      });
    }
    it('nothing was written by the refused requests', async () => {
      expectOutcome(await suite.call('Patient/url-id'), 404);
    });
  });
}
