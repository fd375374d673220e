import { describe, expect, it } from 'vitest';
import {
  allSearchParameters,
  complexTypeNames,
  getElementTable,
  getPrimitiveType,
  getSearchParameter,
  isResourceType,
  patientCompartmentParams,
  patientCompartmentTypes,
  primitiveTypeNames,
  resourceTypes,
  searchParametersFor,
  valueSetCodes,
} from './index.js';

describe('type definitions', () => {
  it('lists the concrete resource types', () => {
    const types = resourceTypes();
    expect(types.length).toBeGreaterThanOrEqual(145);
    expect(types).toContain('Patient');
    expect(types).toContain('Bundle');
    expect(types).not.toContain('DomainResource');
    expect(isResourceType('Observation')).toBe(true);
    expect(isResourceType('Resource')).toBe(false);
    expect(isResourceType('HumanName')).toBe(false);
    expect(isResourceType('toString')).toBe(false);
  });

  it('has element tables for complex datatypes', () => {
    expect(complexTypeNames()).toContain('HumanName');
    const name = getElementTable('HumanName')!;
    expect(name.kind).toBe('complex-type');
    expect(name.elements.given).toMatchObject({ types: ['string'], min: 0, max: '*' });
    expect(getElementTable('Age')?.base).toBe('Quantity');
    expect(getElementTable('nope')).toBeUndefined();
  });

  it('binds Patient.gender to administrative-gender', () => {
    const gender = getElementTable('Patient')!.elements.gender!;
    expect(gender.types).toEqual(['code']);
    expect(gender.binding).toBe('http://hl7.org/fhir/ValueSet/administrative-gender');
    expect([...valueSetCodes(gender.binding!)!].sort()).toEqual(['female', 'male', 'other', 'unknown']);
  });

  it('expands choice elements to their concrete names', () => {
    const value = getElementTable('Observation')!.elements['value[x]']!;
    expect(value.choices).toContain('valueQuantity');
    expect(value.choices).toContain('valueCodeableConcept');
    expect(value.choices!.length).toBe(value.types.length);
  });

  it('marks backbone elements and content references', () => {
    const q = getElementTable('Questionnaire')!;
    expect(q.elements.item!.backbone).toBe(true);
    expect(q.elements['item.linkId']!.min).toBe(1);
    expect(q.elements['item.item']!.contentReference).toBe('#Questionnaire.item');
  });

  it('types the resource id as id', () => {
    expect(getElementTable('Patient')!.elements.id!.types).toEqual(['id']);
  });

  it('has the primitive types with their official regexes', () => {
    expect(primitiveTypeNames()).toHaveLength(20);
    expect(getPrimitiveType('integer')!.json).toBe('number');
    expect(getPrimitiveType('boolean')!.json).toBe('boolean');
    const date = new RegExp(`^(?:${getPrimitiveType('date')!.regex})$`);
    expect(date.test('2023-02-14')).toBe(true);
    expect(date.test('2023-13-01')).toBe(false);
  });
});

describe('value sets', () => {
  it('returns undefined for unexpandable or unknown value sets', () => {
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/mimetypes')).toBeUndefined();
    expect(valueSetCodes('http://example.org/nope')).toBeUndefined();
  });

  it('ignores a version suffix', () => {
    expect(valueSetCodes('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')?.has('male')).toBe(true);
  });

  it('includes nested concepts', () => {
    // resource-types is flat, but observation-status nests amended/corrected under amended.
    const status = valueSetCodes('http://hl7.org/fhir/ValueSet/observation-status')!;
    expect(status.has('corrected')).toBe(true);
    expect(status.has('final')).toBe(true);
  });
});

describe('search parameters', () => {
  it('has every official search parameter', () => {
    expect(allSearchParameters().length).toBeGreaterThanOrEqual(1300);
  });

  it('finds parameters by resource type and code', () => {
    expect(getSearchParameter('Patient', 'birthdate')?.type).toBe('date');
    expect(getSearchParameter('Patient', '_id')?.expression).toBe('Resource.id');
    expect(getSearchParameter('Patient', '_text')?.type).toBe('string');
    expect(getSearchParameter('Bundle', '_text')).toBeUndefined();
    expect(getSearchParameter('Patient', 'nope')).toBeUndefined();
    expect(searchParametersFor('HumanName')).toEqual([]);
  });

  it('narrows multi-base expressions to the base', () => {
    const code = getSearchParameter('Observation', 'code')!;
    expect(code.base.length).toBeGreaterThan(1);
    expect(code.expression).toContain('|');
    expect(code.baseExpression).toBe('Observation.code');
  });

  it('describes composite parameters with their components', () => {
    const p = getSearchParameter('Observation', 'code-value-quantity')!;
    expect(p.type).toBe('composite');
    expect(p.component).toHaveLength(2);
    expect(p.component![0]).toEqual({
      definition: 'http://hl7.org/fhir/SearchParameter/clinical-code',
      expression: 'code',
    });
  });

  it('keeps targets, modifiers and comparators', () => {
    const subject = getSearchParameter('Observation', 'subject')!;
    expect(subject.type).toBe('reference');
    expect(subject.target).toContain('Patient');
    expect(getSearchParameter('Observation', 'date')!.comparator).toContain('ge');
  });
});

describe('patient compartment', () => {
  it('lists the parameters linking a resource to the patient', () => {
    expect(patientCompartmentParams('Observation')).toEqual(expect.arrayContaining(['subject', 'performer']));
    expect(patientCompartmentParams('Patient')).toContain('link');
    expect(patientCompartmentParams('Organization')).toEqual([]);
    expect(patientCompartmentTypes()).toContain('Encounter');
  });
});
