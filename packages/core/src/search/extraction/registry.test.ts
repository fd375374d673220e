import { describe, expect, it } from 'vitest';
import { FhirError } from '../../errors/fhir-error.js';
import { narrowExpression, SearchParameterRegistry } from '../registry.js';
import { extractSearchValues } from './extract.js';

const nickname = {
  resourceType: 'SearchParameter',
  url: 'http://example.org/sp/nickname',
  name: 'nickname',
  status: 'active',
  code: 'nickname',
  base: ['Patient', 'Practitioner'],
  type: 'string',
  expression: "Patient.name.where(use='nickname').given | Practitioner.name.where(use='nickname').given",
};

describe('SearchParameterRegistry', () => {
  it('serves the official parameters by type, code and url', () => {
    const registry = new SearchParameterRegistry();
    expect(registry.get('Patient', 'birthdate')?.type).toBe('date');
    expect(registry.get('Observation', 'code')?.baseExpression).toBe('Observation.code');
    expect(registry.forType('Patient').some((p) => p.code === '_lastUpdated')).toBe(true);
    expect(registry.byUrl('http://hl7.org/fhir/SearchParameter/clinical-code')?.code).toBe('code');
  });

  it('adds and removes runtime parameters, bumping the version and feeding extraction', () => {
    const registry = new SearchParameterRegistry();
    const v0 = registry.version;
    registry.add(SearchParameterRegistry.fromSearchParameterResource(nickname));
    expect(registry.version).toBe(v0 + 1);
    expect(registry.get('Patient', 'nickname')?.baseExpression).toBe(
      "Patient.name.where(use='nickname').given",
    );
    const patient = {
      resourceType: 'Patient',
      name: [{ use: 'nickname', given: ['Bob'] }, { given: ['Robert'] }],
    };
    expect(extractSearchValues(patient, registry).find((p) => p.code === 'nickname')?.values).toEqual([
      { kind: 'string', normalized: 'bob', exact: 'Bob' },
    ]);
    expect(registry.remove(nickname.url)).toBe(true);
    expect(registry.remove(nickname.url)).toBe(false);
    expect(registry.get('Patient', 'nickname')).toBeUndefined();
    expect(extractSearchValues(patient, registry).some((p) => p.code === 'nickname')).toBe(false);
  });

  it('a runtime parameter replaces an official one with the same code', () => {
    const registry = new SearchParameterRegistry();
    registry.add({
      url: 'http://example.org/sp/gender',
      code: 'gender',
      base: ['Patient'],
      type: 'token',
      expression: 'Patient.active',
    });
    expect(registry.get('Patient', 'gender')?.url).toBe('http://example.org/sp/gender');
    expect(registry.forType('Patient').filter((p) => p.code === 'gender')).toHaveLength(1);
  });

  it('validates SearchParameter resources', () => {
    const bad = (patch: Record<string, unknown>) => () =>
      SearchParameterRegistry.fromSearchParameterResource({ ...nickname, ...patch });
    expect(bad({ code: undefined })).toThrow(FhirError);
    expect(bad({ base: [] })).toThrow(/base/);
    expect(bad({ base: ['Nope'] })).toThrow(/unknown resource type/);
    expect(bad({ type: 'fancy' })).toThrow(/type/);
    expect(bad({ expression: undefined })).toThrow(/expression is required/);
    expect(bad({ expression: 'Patient.name.where(' })).toThrow(/not valid FHIRPath/);
    expect(bad({ resourceType: 'Patient' })).toThrow(/Not a SearchParameter/);
    try {
      bad({ type: undefined })();
    } catch (error) {
      expect(FhirError.is(error) && error.code).toBe('invalid');
    }
    expect(
      SearchParameterRegistry.fromSearchParameterResource({
        ...nickname,
        type: 'special',
        expression: undefined,
      }).type,
    ).toBe('special');
    expect(bad({ type: 'composite' })).toThrow(/components/);
  });

  it('narrows multi-base expressions', () => {
    expect(narrowExpression('Patient.name | Practitioner.name', 'Practitioner')).toBe('Practitioner.name');
    expect(narrowExpression('(Observation.value as Quantity) | Resource.id', 'Observation')).toBe(
      '(Observation.value as Quantity) | Resource.id',
    );
  });
});
