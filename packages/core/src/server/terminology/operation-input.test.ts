import { describe, expect, it } from 'vitest';
import { FhirError } from '../../errors/fhir-error.js';
import { OperationInput } from './operation-input.js';

function error(fn: () => unknown): FhirError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
}

describe('OperationInput', () => {
  it('reads the query and a Parameters body: primitives, Coding, CodeableConcept, a resource', () => {
    const input = new OperationInput(
      '$op',
      [
        ['count', '10'],
        ['_format', 'json'],
      ],
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'url', valueUri: 'http://x/vs' },
          { name: 'activeOnly', valueBoolean: true },
          { name: 'property', valueCode: 'parent' },
          { name: 'property', valueCode: 'child' },
          { name: 'coding', valueCoding: { system: 'http://x', code: 'a' } },
          { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: 'http://x', code: 'b' }] } },
          { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active' } },
        ],
      },
    );
    expect([input.string('url'), input.integer('count'), input.boolean('activeOnly')]).toEqual([
      'http://x/vs',
      10,
      true,
    ]);
    expect(input.strings('property')).toEqual(['parent', 'child']);
    expect(input.coding('coding')).toEqual({ system: 'http://x', code: 'a' });
    expect(input.codeableConcept('codeableConcept')?.coding?.[0]?.code).toBe('b');
    expect(input.resource('valueSet', 'ValueSet')?.resourceType).toBe('ValueSet');
    expect([input.has('_format'), input.string('filter')]).toEqual([false, undefined]);
  });

  it('malformed inputs are 400s naming the parameter', () => {
    const q = (params: Array<[string, string]>, body?: unknown) => new OperationInput('$op', params, body);
    expect(error(() => q([['count', '1.5']]).integer('count')).outcome.issue[0]?.expression).toEqual([
      'count',
    ]);
    expect(error(() => q([['activeOnly', '1']]).boolean('activeOnly')).status).toBe(400);
    expect(
      error(() =>
        q([
          ['url', 'a'],
          ['url', 'b'],
        ]).string('url'),
      ).message,
    ).toContain('more than once');
    expect(error(() => q([['url', '']]).string('url')).message).toContain('empty');
    expect(q([['filter', '']]).string('filter', true)).toBe('');
    expect(error(() => q([['coding', 'x']]).coding('coding')).message).toContain('Parameters body');
    expect(error(() => q([], { resourceType: 'Patient' })).message).toContain('Parameters resource');
    expect(error(() => q([], { resourceType: 'Parameters', parameter: {} })).status).toBe(400);
    expect(error(() => q([], { resourceType: 'Parameters', parameter: [null] })).status).toBe(400);
    const body = (parameter: unknown[]) => q([], { resourceType: 'Parameters', parameter });
    expect(
      error(() => body([{ name: 'coding', valueCoding: { system: 'x' } }]).coding('coding')).status,
    ).toBe(400);
    expect(error(() => body([{ name: 'coding', valueString: 'x' }]).coding('coding')).status).toBe(400);
    expect(
      error(() =>
        body([{ name: 'valueSet', resource: { resourceType: 'CodeSystem' } }]).resource(
          'valueSet',
          'ValueSet',
        ),
      ).status,
    ).toBe(400);
    const unsupported = error(() => q([['context', 'x']]).rejectUnsupported(['context']));
    expect([unsupported.status, unsupported.code]).toEqual([400, 'not-supported']);
  });
});
