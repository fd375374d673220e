import { describe, expect, it } from 'vitest';
import { FhirError } from '../errors/fhir-error.js';
import { assertValidResource, validateResource } from './validate-resource.js';

/** The issues as `code expression` strings, for compact assertions. */
function problems(resource: unknown, options?: Parameters<typeof validateResource>[1]): string[] {
  return validateResource(resource, options).map((i) => `${i.code} ${i.expression.join(',')}`);
}

const patient = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', id: 'p1', ...extra });
const observation = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'weight' },
  ...extra,
});

describe('resourceType', () => {
  it('accepts a known resource type', () => {
    expect(problems(patient())).toEqual([]);
  });

  it('rejects an unknown or abstract resource type', () => {
    expect(problems({ resourceType: 'Foo' })).toEqual(['invalid Resource']);
    expect(problems({ resourceType: 'DomainResource' })).toEqual(['invalid Resource']);
  });

  it('rejects a body that is not an object or has no resourceType', () => {
    expect(problems([patient()])).toEqual(['invalid Resource']);
    expect(problems('Patient')).toEqual(['invalid Resource']);
    expect(problems({ id: 'x' })).toEqual(['required Resource']);
  });

  it('checks the expected resource type when given', () => {
    expect(problems(patient(), { resourceType: 'Patient' })).toEqual([]);
    expect(problems(patient(), { resourceType: 'Observation' })).toEqual(['invalid Resource']);
  });
});

describe('unknown elements', () => {
  it('rejects unknown elements at any depth', () => {
    expect(problems(patient({ foo: 1 }))).toEqual(['structure Patient.foo']);
    expect(problems(patient({ name: [{ family: 'X', nick: 'Y' }] }))).toEqual([
      'structure Patient.name[0].nick',
    ]);
  });

  it('rejects a choice variant that is not allowed', () => {
    expect(problems(observation({ valueReference: { reference: 'Patient/1' } }))).toEqual([
      'structure Observation.valueReference',
    ]);
    expect(problems(observation({ valueQuantity: { value: 72.5, unit: 'kg' } }))).toEqual([]);
  });

  it('allows _x siblings of primitive elements with id and extension', () => {
    const ext = { extension: [{ url: 'http://example.org/x', valueString: 'y' }] };
    expect(problems(patient({ _birthDate: ext }))).toEqual([]);
    expect(problems(patient({ birthDate: '2000-01-01', _birthDate: { id: 'b1', ...ext } }))).toEqual([]);
    expect(problems(observation({ valueString: 'x', _valueString: ext }))).toEqual([]);
  });

  it('rejects _x siblings of complex elements and unknown content inside _x', () => {
    expect(problems(patient({ _name: { id: 'n' } }))).toEqual(['structure Patient._name']);
    expect(problems(patient({ _birthDate: { value: 'x' } }))).toEqual(['structure Patient.birthDate.value']);
    expect(problems(patient({ _birthDate: [{ id: 'x' }] }))).toEqual(['structure Patient.birthDate']);
  });

  it('aligns primitive arrays with their _x arrays, allowing null placeholders', () => {
    const ext = { extension: [{ url: 'http://example.org/x', valueCode: 'y' }] };
    expect(problems(patient({ name: [{ given: ['A', null], _given: [null, ext] }] }))).toEqual([]);
    expect(problems(patient({ name: [{ given: ['A', null] }] }))).toEqual([
      'structure Patient.name[0].given[1]',
    ]);
    expect(problems(patient({ name: [{ given: ['A', 'B'], _given: [ext] }] }))).toEqual([
      'structure Patient.name[0].given',
    ]);
  });
});

describe('arrays and single values', () => {
  it('requires an array where max is *', () => {
    expect(problems(patient({ name: { family: 'X' } }))).toEqual(['structure Patient.name']);
    expect(problems(patient({ name: [{ family: 'X' }] }))).toEqual([]);
  });

  it('requires a single value where max is 1', () => {
    expect(problems(patient({ gender: ['male'] }))).toEqual(['structure Patient.gender']);
    expect(problems(patient({ maritalStatus: [{ text: 'x' }] }))).toEqual([
      'structure Patient.maritalStatus',
    ]);
    expect(problems(patient({ gender: 'male' }))).toEqual([]);
  });

  it('requires objects for complex elements', () => {
    expect(problems(patient({ maritalStatus: 'married' }))).toEqual(['structure Patient.maritalStatus']);
    expect(problems(patient({ name: ['X'] }))).toEqual(['structure Patient.name[0]']);
  });

  it('rejects null values', () => {
    expect(problems(patient({ gender: null }))).toEqual(['structure Patient.gender']);
    expect(problems(patient({ name: [null] }))).toEqual(['structure Patient.name[0]']);
  });
});

describe('empty values', () => {
  it('rejects empty objects, arrays and strings', () => {
    expect(problems(patient({ maritalStatus: {} }))).toEqual(['structure Patient.maritalStatus']);
    expect(problems(patient({ name: [{}] }))).toEqual(['structure Patient.name[0]']);
    expect(problems(patient({ name: [] }))).toEqual(['structure Patient.name']);
    expect(problems(patient({ name: [{ family: '' }] }))).toEqual(['value Patient.name[0].family']);
    expect(problems(patient({ name: [{ given: [''] }] }))).toEqual(['value Patient.name[0].given[0]']);
  });

  it('accepts a resource with only a resourceType', () => {
    expect(problems({ resourceType: 'Basic', code: { text: 'x' } })).toEqual([]);
    expect(problems({ resourceType: 'Patient' })).toEqual([]);
  });
});

describe('min cardinality', () => {
  it('reports missing required elements', () => {
    expect(problems({ resourceType: 'Observation' })).toEqual([
      'required Observation.status',
      'required Observation.code',
    ]);
    expect(problems(observation())).toEqual([]);
  });

  it('reports missing required elements inside backbone elements', () => {
    const link = { type: 'seealso' };
    expect(problems(patient({ link: [link] }))).toEqual(['required Patient.link[0].other']);
    expect(problems(patient({ link: [{ ...link, other: { reference: 'Patient/2' } }] }))).toEqual([]);
  });

  it('accepts a required primitive given only by its _x sibling', () => {
    const absent = {
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' },
      ],
    };
    expect(problems({ resourceType: 'Observation', _status: absent, code: { text: 'x' } })).toEqual([]);
  });

  it('reports a missing required choice element', () => {
    const request = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/1' },
    };
    expect(problems(request)).toEqual(['required MedicationRequest.medication']);
    expect(problems({ ...request, medicationCodeableConcept: { text: 'aspirin' } })).toEqual([]);
  });

  it('follows content references (Questionnaire.item.item)', () => {
    const q = { resourceType: 'Questionnaire', status: 'draft' };
    expect(problems({ ...q, item: [{ linkId: '1', type: 'group', item: [{ type: 'string' }] }] })).toEqual([
      'required Questionnaire.item[0].item[0].linkId',
    ]);
    expect(
      problems({ ...q, item: [{ linkId: '1', type: 'group', item: [{ linkId: '1.1', type: 'string' }] }] }),
    ).toEqual([]);
  });
});

describe('choice types', () => {
  it('allows only one variant of a choice', () => {
    expect(problems(observation({ valueString: 'a', valueBoolean: true }))).toEqual([
      'structure Observation.valueBoolean',
    ]);
    expect(problems(observation({ valueBoolean: true, effectiveDateTime: '2020-01-01' }))).toEqual([]);
  });

  it('validates the variant by its own type', () => {
    expect(problems(observation({ valueQuantity: { value: '72' } }))).toEqual([
      'structure Observation.valueQuantity.value',
    ]);
  });
});

describe('required bindings', () => {
  it('checks code elements against the expanded value set', () => {
    expect(problems(patient({ gender: 'dog' }))).toEqual(['code-invalid Patient.gender']);
    expect(problems(patient({ gender: 'female' }))).toEqual([]);
    expect(problems(observation({ status: 'done' }))).toEqual(['code-invalid Observation.status']);
  });

  it('checks bindings inside datatypes', () => {
    expect(problems(patient({ telecom: [{ system: 'pager', value: '1' }] }))).toEqual([]);
    expect(problems(patient({ telecom: [{ system: 'fax2', value: '1' }] }))).toEqual([
      'code-invalid Patient.telecom[0].system',
    ]);
  });

  it('does not check value sets that cannot be expanded (mimetypes)', () => {
    expect(problems(patient({ photo: [{ contentType: 'image/x-anything' }] }))).toEqual([]);
  });
});

describe('nested resources', () => {
  it('validates contained resources by their own type', () => {
    const contained = [{ resourceType: 'Practitioner', id: 'pr1', gender: 'x' }];
    expect(problems(patient({ contained }))).toEqual(['code-invalid Patient.contained[0].gender']);
    expect(problems(patient({ contained: [{ resourceType: 'Practitioner', id: 'pr1' }] }))).toEqual([]);
    expect(problems(patient({ contained: [{ resourceType: 'Nope', id: 'n' }] }))).toEqual([
      'invalid Patient.contained[0].resourceType',
    ]);
    expect(problems(patient({ contained: [{ id: 'n' }] }))).toEqual(['required Patient.contained[0]']);
  });

  it('validates Bundle entry resources by their own type', () => {
    const bundle = (resource: unknown) => ({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource }],
    });
    expect(problems(bundle(patient()))).toEqual([]);
    expect(problems(bundle(observation({ status: 'bogus' })))).toEqual([
      'code-invalid Bundle.entry[0].resource.status',
    ]);
  });
});

describe('resource id', () => {
  it('must match the id pattern', () => {
    expect(problems(patient({ id: 'a_b' }))).toEqual(['value Patient.id']);
    expect(problems(patient({ id: 'x'.repeat(65) }))).toEqual(['value Patient.id']);
    expect(problems(patient({ id: 'A-1.b' }))).toEqual([]);
    expect(problems(patient({ id: 'x'.repeat(64) }))).toEqual([]);
  });

  it('does not apply to element ids', () => {
    expect(problems(patient({ name: [{ id: 'any thing_goes', family: 'X' }] }))).toEqual([]);
  });
});

describe('issue shape and limits', () => {
  it('returns R4 OperationOutcome issues', () => {
    expect(validateResource(patient({ gender: 'dog' }))).toEqual([
      {
        severity: 'error',
        code: 'code-invalid',
        diagnostics: "'dog' is not in http://hl7.org/fhir/ValueSet/administrative-gender (required binding)",
        expression: ['Patient.gender'],
      },
    ]);
  });

  it('stops after maxIssues', () => {
    const bad = patient({ name: Array.from({ length: 10 }, () => ({ foo: 1 })) });
    expect(validateResource(bad)).toHaveLength(10);
    expect(validateResource(bad, { maxIssues: 3 })).toHaveLength(3);
  });
});

describe('assertValidResource', () => {
  it('returns silently for a valid resource', () => {
    expect(() => assertValidResource(patient(), { resourceType: 'Patient' })).not.toThrow();
  });

  it('throws FhirError invalid-resource carrying every issue', () => {
    let error: unknown;
    try {
      assertValidResource(patient({ gender: 'dog', birthDate: '2023-02-30' }));
    } catch (err) {
      error = err;
    }
    expect(FhirError.is(error)).toBe(true);
    const fhirError = error as FhirError;
    expect(fhirError.code).toBe('invalid-resource');
    expect(fhirError.status).toBe(400);
    expect(fhirError.message).toContain('Patient.gender');
    const [first, ...rest] = fhirError.outcome.issue;
    expect(first!.expression).toEqual(['Patient.gender', 'Patient.birthDate']);
    expect(rest.map((i) => i.expression?.[0])).toEqual(['Patient.gender', 'Patient.birthDate']);
    expect(rest.map((i) => i.code)).toEqual(['code-invalid', 'value']);
  });
});
