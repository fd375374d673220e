import { describe, expect, it } from 'vitest';
import { isInactive } from './concepts.js';
import { officialConcepts, officialValueSetHeader } from './official.js';
import { storedConcepts } from './stored.js';

describe('code system concepts (for $lookup and expansion displays)', () => {
  it('official: name, version, displays, inactive codes and the is-a tree', () => {
    const gender = officialConcepts('http://hl7.org/fhir/administrative-gender')!;
    expect([gender.name, gender.version, gender.url]).toEqual([
      'AdministrativeGender',
      '4.0.1',
      'http://hl7.org/fhir/administrative-gender',
    ]);
    expect([...gender.concepts.values()].map((c) => c.display)).toEqual([
      'Male',
      'Female',
      'Other',
      'Unknown',
    ]);
    const act = officialConcepts('http://terminology.hl7.org/CodeSystem/v3-ActCode|2018-08-12')!;
    expect(act.version).toBe('2018-08-12');
    expect(act.concepts.get('FFS')).toEqual({ code: 'FFS', display: 'fee for service', inactive: true });
    expect(act.tree?.parents('AMB')).toEqual(['_ActEncounterCode']);
    expect(officialConcepts('http://hl7.org/fhir/administrative-gender|3.0.2')).toBeUndefined();
    expect(officialConcepts('http://snomed.info/sct')).toBeUndefined();
    // A table key that carries its version.
    expect(officialConcepts('http://terminology.hl7.org/CodeSystem/v2-0006|2.1')?.version).toBe('2.1');
  });

  it('official ValueSet headers: name, title when it differs, status', () => {
    expect(officialValueSetHeader('http://hl7.org/fhir/ValueSet/administrative-gender')).toEqual({
      name: 'AdministrativeGender',
      status: 'active',
    });
    expect(officialValueSetHeader('http://terminology.hl7.org/ValueSet/v3-Race')).toMatchObject({
      title: 'v3 Code System Race',
    });
  });

  it('stored: nested concepts, retired ones inactive, a tree only when complete and is-a', () => {
    const cs = storedConcepts({
      resourceType: 'CodeSystem',
      url: 'http://x/cs|2.0',
      title: 'Colours',
      status: 'active',
      content: 'complete',
      concept: [
        { code: 'warm', display: 'Warm', concept: [{ code: 'red' }] },
        { code: 'grey', property: [{ code: 'inactive', valueBoolean: true }] },
      ],
    });
    expect([cs.url, cs.version, cs.name]).toEqual(['http://x/cs', '2.0', 'Colours']);
    expect([...cs.concepts.values()]).toEqual([
      { code: 'warm', display: 'Warm' },
      { code: 'red' },
      { code: 'grey', inactive: true },
    ]);
    expect(cs.tree?.children('warm')).toEqual(['red']);
    const grouped = storedConcepts({
      resourceType: 'CodeSystem',
      url: 'http://x/g',
      status: 'active',
      content: 'complete',
      hierarchyMeaning: 'grouped-by',
      concept: [{ code: 'a', concept: [{ code: 'b' }] }],
    });
    expect([grouped.tree, grouped.concepts.size]).toEqual([undefined, 2]);
  });

  it('isInactive: retired or inactive, not deprecated', () => {
    expect(isInactive({ property: [{ code: 'status', valueCode: 'retired' }] })).toBe(true);
    expect(isInactive({ property: [{ code: 'inactive', valueBoolean: true }] })).toBe(true);
    expect(isInactive({ property: [{ code: 'status', valueCode: 'deprecated' }] })).toBe(false);
    expect(isInactive({})).toBe(false);
  });
});
