import { describe, expect, it } from 'vitest';
import type { IndexValue } from '../index-values.js';
import { SearchParameterRegistry } from '../registry.js';
import { dateRange } from './dates.js';
import { extractorsFor, extractSearchValues } from './extract.js';
import { normalizeInto } from './normalize.js';
import { precisionRange } from './numbers.js';
import { parseReference } from './references.js';
import { normalizeString } from './strings.js';
import { canonicalUcum } from './ucum.js';

const registry = new SearchParameterRegistry();
const valuesOf = (resource: object, code: string): IndexValue[] => {
  const found = extractSearchValues(resource, registry).find((p) => p.code === code);
  if (found === undefined) throw new Error(`no parameter ${code}`);
  return found.values;
};

describe('dates', () => {
  it('covers the whole year, month, day, minute, second, fraction', () => {
    expect(dateRange('1980')).toEqual([Date.UTC(1980, 0, 1), Date.UTC(1981, 0, 1) - 1]);
    expect(dateRange('2020-02')).toEqual([Date.UTC(2020, 1, 1), Date.UTC(2020, 2, 1) - 1]);
    expect(dateRange('2020-02-29')).toEqual([Date.UTC(2020, 1, 29), Date.UTC(2020, 2, 1) - 1]);
    expect(dateRange('2020-03-04T10:30')).toEqual([
      Date.UTC(2020, 2, 4, 10, 30),
      Date.UTC(2020, 2, 4, 10, 30, 59, 999),
    ]);
    expect(dateRange('2020-03-04T10:30:15+01:00')).toEqual([
      Date.UTC(2020, 2, 4, 9, 30, 15),
      Date.UTC(2020, 2, 4, 9, 30, 15, 999),
    ]);
    expect(dateRange('2020-03-04T10:30:15.5Z')).toEqual([
      Date.UTC(2020, 2, 4, 10, 30, 15, 500),
      Date.UTC(2020, 2, 4, 10, 30, 15, 599),
    ]);
    expect(dateRange('2020-03-04T10:30:15.123Z')).toEqual([
      Date.UTC(2020, 2, 4, 10, 30, 15, 123),
      Date.UTC(2020, 2, 4, 10, 30, 15, 123),
    ]);
    expect(dateRange('10:30:00')).toBeUndefined();
  });

  it('birthDate 1980 → the whole year; Period open end → +Infinity; Timing events', () => {
    expect(valuesOf({ resourceType: 'Patient', birthDate: '1980' }, 'birthdate')).toEqual([
      { kind: 'date', low: Date.UTC(1980, 0, 1), high: Date.UTC(1981, 0, 1) - 1 },
    ]);
    expect(valuesOf({ resourceType: 'Encounter', period: { start: '2020-01-01' } }, 'date')).toEqual([
      { kind: 'date', low: Date.UTC(2020, 0, 1), high: Number.POSITIVE_INFINITY },
    ]);
    const out: IndexValue[] = [];
    normalizeInto('date', 'Timing', { event: ['2020', '2021-05'] }, out);
    expect(out).toEqual([
      { kind: 'date', low: Date.UTC(2020, 0, 1), high: Date.UTC(2021, 0, 1) - 1 },
      { kind: 'date', low: Date.UTC(2021, 4, 1), high: Date.UTC(2021, 5, 1) - 1 },
    ]);
  });
});

describe('strings', () => {
  it('folds case, accents and whitespace', () => {
    expect(normalizeString('  Zoë   Ann ')).toBe('zoe ann');
    expect(normalizeString('MÜLLER')).toBe('muller');
  });

  it('HumanName parts are separate values', () => {
    const patient = {
      resourceType: 'Patient',
      name: [{ family: 'Zoë', given: ['Ann', 'Marie'], prefix: ['Dr.'] }],
    };
    expect(valuesOf(patient, 'family')).toEqual([{ kind: 'string', normalized: 'zoe', exact: 'Zoë' }]);
    expect(valuesOf(patient, 'given').map((v) => (v as { normalized: string }).normalized)).toEqual([
      'ann',
      'marie',
    ]);
    expect(valuesOf(patient, 'name').map((v) => (v as { normalized: string }).normalized)).toEqual([
      'zoe',
      'ann',
      'marie',
      'dr.',
    ]);
  });

  it('Address parts', () => {
    const patient = {
      resourceType: 'Patient',
      address: [{ line: ['1 Main St'], city: 'Boston', postalCode: '02100' }],
    };
    expect(valuesOf(patient, 'address').map((v) => (v as { exact: string }).exact)).toEqual([
      '1 Main St',
      'Boston',
      '02100',
    ]);
    expect(valuesOf(patient, 'address-city')).toEqual([
      { kind: 'string', normalized: 'boston', exact: 'Boston' },
    ]);
  });
});

describe('tokens', () => {
  it('CodeableConcept: each coding with its display, plus the text', () => {
    const obs = {
      resourceType: 'Observation',
      code: {
        coding: [{ system: 'http://loinc.org', code: '8302-2', display: 'Body height' }],
        text: 'Height',
      },
    };
    expect(valuesOf(obs, 'code')).toEqual([
      { kind: 'token', system: 'http://loinc.org', code: '8302-2', text: 'Body height' },
      { kind: 'token', text: 'Height' },
    ]);
  });

  it('Identifier with type', () => {
    const patient = {
      resourceType: 'Patient',
      identifier: [
        {
          system: 'http://hospital.org/mrn',
          value: '123',
          type: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }],
            text: 'MRN',
          },
        },
      ],
    };
    expect(valuesOf(patient, 'identifier')).toEqual([
      {
        kind: 'token',
        system: 'http://hospital.org/mrn',
        code: '123',
        text: 'MRN',
        typeSystem: 'http://terminology.hl7.org/CodeSystem/v2-0203',
        typeCode: 'MR',
      },
    ]);
  });

  it('code, boolean, id and ContactPoint', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p1',
      gender: 'female',
      active: true,
      telecom: [
        { system: 'phone', value: '555-1234' },
        { system: 'email', value: 'a@b.org' },
      ],
    };
    expect(valuesOf(patient, 'gender')).toEqual([{ kind: 'token', code: 'female' }]);
    expect(valuesOf(patient, 'active')).toEqual([{ kind: 'token', code: 'true' }]);
    expect(valuesOf(patient, '_id')).toEqual([{ kind: 'token', code: 'p1' }]);
    expect(valuesOf(patient, 'email')).toEqual([{ kind: 'token', code: 'a@b.org' }]);
    expect(valuesOf(patient, 'phone')).toEqual([{ kind: 'token', code: '555-1234' }]);
  });
});

describe('numbers and quantities', () => {
  it('precision ranges', () => {
    expect(precisionRange(100)).toEqual([99.5, 100.5]);
    expect(precisionRange(5.4)).toEqual([5.35, 5.45]);
    expect(precisionRange(0.001)).toEqual([0.0005, 0.0015]);
  });

  it('UCUM canonical forms', () => {
    expect(canonicalUcum(5.4, 'mg')).toEqual({ value: 0.0054, code: 'g' });
    expect(canonicalUcum(22, 'kg/m2')).toEqual({ value: 22000, code: 'g.m-2' });
    expect(canonicalUcum(60, '/min')).toEqual({ value: 1, code: 's-1' });
    expect(canonicalUcum(50, '%')).toEqual({ value: 0.5, code: '1' });
    expect(canonicalUcum(37, 'Cel')).toEqual({ value: 310.15, code: 'K' });
    expect(canonicalUcum(1, 'not a unit')).toBeUndefined();
  });

  it('Observation.valueQuantity 5.4 mg → canonical 0.0054 g', () => {
    const obs = {
      resourceType: 'Observation',
      valueQuantity: { value: 5.4, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
    };
    expect(valuesOf(obs, 'value-quantity')).toEqual([
      {
        kind: 'quantity',
        value: 5.4,
        low: 5.35,
        high: 5.45,
        system: 'http://unitsofmeasure.org',
        code: 'mg',
        unit: 'mg',
        canonical: { value: 0.0054, code: 'g' },
      },
    ]);
  });

  it('number parameter', () => {
    const out: IndexValue[] = [];
    normalizeInto('number', 'decimal', 0.25, out);
    expect(out).toEqual([{ kind: 'number', value: 0.25, low: 0.245, high: 0.255 }]);
  });
});

describe('references and uris', () => {
  it('parses literal references', () => {
    expect(parseReference('Patient/1/_history/2')).toEqual({
      kind: 'reference',
      type: 'Patient',
      id: '1',
      version: '2',
    });
    expect(parseReference('http://x.org/fhir/Patient/1')).toEqual({
      kind: 'reference',
      url: 'http://x.org/fhir/Patient/1',
      type: 'Patient',
      id: '1',
    });
    expect(parseReference('urn:uuid:7b0f1f2e-1a2b-4c3d-8e9f-001122334455')).toEqual({
      kind: 'reference',
      url: 'urn:uuid:7b0f1f2e-1a2b-4c3d-8e9f-001122334455',
    });
    expect(parseReference('#contained-1')).toEqual({ kind: 'reference', url: '#contained-1' });
  });

  it('where(resolve() is Patient) filters by reference type; identifiers are kept', () => {
    const obs = { resourceType: 'Observation', subject: { reference: 'Group/g1' } };
    expect(valuesOf(obs, 'patient')).toEqual([]);
    expect(valuesOf(obs, 'subject')).toEqual([{ kind: 'reference', type: 'Group', id: 'g1' }]);
    const logical = { resourceType: 'Observation', subject: { identifier: { system: 's', value: 'v' } } };
    expect(valuesOf(logical, 'subject')).toEqual([
      { kind: 'reference', identifier: { system: 's', value: 'v' } },
    ]);
  });

  it('canonical uri with |version', () => {
    const patient = {
      resourceType: 'Patient',
      meta: { profile: ['http://x.org/StructureDefinition/p|1.0'] },
    };
    expect(valuesOf(patient, '_profile')).toEqual([
      { kind: 'uri', value: 'http://x.org/StructureDefinition/p', version: '1.0' },
    ]);
  });
});

describe('composites', () => {
  it('code-value-quantity and component-code-value-quantity', () => {
    const bp = {
      resourceType: 'Observation',
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        },
      ],
      valueQuantity: { value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg' },
    };
    expect(valuesOf(bp, 'code-value-quantity')).toEqual([
      {
        kind: 'composite',
        components: [
          { kind: 'token', system: 'http://loinc.org', code: '85354-9' },
          expect.objectContaining({ kind: 'quantity', value: 5.4, canonical: { value: 0.0054, code: 'g' } }),
        ],
      },
    ]);
    const component = valuesOf(bp, 'component-code-value-quantity');
    expect(component).toHaveLength(1);
    expect(component[0]).toMatchObject({
      components: [{ code: '8480-6' }, { value: 120, code: 'mm[Hg]' }],
    });
  });
});

describe('extractSearchValues', () => {
  it('lists every parameter with an expression, empty when missing, never special ones', () => {
    const params = extractSearchValues({ resourceType: 'Patient', id: 'p' }, registry);
    const codes = params.map((p) => p.code);
    expect(codes).toEqual(
      expect.arrayContaining(['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source']),
    );
    expect(codes).not.toContain('_filter');
    expect(codes).not.toContain('near');
    expect(params.find((p) => p.code === 'birthdate')).toEqual({
      code: 'birthdate',
      type: 'date',
      values: [],
    });
  });

  it('most Patient and Observation parameters compile to the fast path', () => {
    for (const type of ['Patient', 'Observation', 'Encounter', 'Condition']) {
      const extractors = extractorsFor(registry, type);
      const fast = extractors.filter((e) => e.fastPath).length;
      expect(fast / extractors.length).toBeGreaterThan(0.8);
    }
  });

  it('engine path: extension-based and boolean expressions', () => {
    const patient = {
      resourceType: 'Patient',
      deceasedDateTime: '2020-01-01',
      extension: [
        {
          url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName',
          valueString: 'Smith',
        },
      ],
    };
    expect(valuesOf(patient, 'deceased')).toEqual([{ kind: 'token', code: 'true' }]);
    expect(valuesOf({ resourceType: 'Patient' }, 'deceased')).toEqual([{ kind: 'token', code: 'false' }]);
  });
});
