import type { CodeSystem, ValueSet } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { FhirError } from '../errors/fhir-error.js';
import { expandValueSet } from './expand.js';
import { officialTerminology } from './official.js';
import { storedTerminologyLookup } from './stored.js';
import type { SystemCode, TerminologyLookup } from './types.js';

const official = (url: string) => expandValueSet(officialTerminology.valueSet(url)!, officialTerminology);
const viaLookup = (vs: ValueSet, l: TerminologyLookup, max?: number) =>
  expandValueSet(l.valueSet(vs.url!)!, l, max);
const keys = (codes: SystemCode[]) => codes.map((c) => `${c.system}|${c.code}`);
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

function thrown(f: () => unknown): FhirError {
  try {
    f();
  } catch (error) {
    if (error instanceof FhirError) return error;
    throw error;
  }
  throw new Error('expected a FhirError');
}

describe('official ValueSets', () => {
  it('a whole CodeSystem, with its system', () => {
    expect(keys(official('http://hl7.org/fhir/ValueSet/administrative-gender'))).toEqual([
      'http://hl7.org/fhir/administrative-gender|male',
      'http://hl7.org/fhir/administrative-gender|female',
      'http://hl7.org/fhir/administrative-gender|other',
      'http://hl7.org/fhir/administrative-gender|unknown',
    ]);
  });

  it('nested ValueSet imports plus enumerated concepts', () => {
    expect(keys(official('http://hl7.org/fhir/ValueSet/yesnodontknow')).sort()).toEqual([
      'http://terminology.hl7.org/CodeSystem/data-absent-reason|asked-unknown',
      'http://terminology.hl7.org/CodeSystem/v2-0136|N',
      'http://terminology.hl7.org/CodeSystem/v2-0136|Y',
    ]);
  });

  it('an is-a filter minus an excluded concept', () => {
    const codes = keys(official('http://terminology.hl7.org/ValueSet/v3-ActEncounterCode'));
    expect(codes).toContain(`${ACT}|AMB`);
    expect(codes).toContain(`${ACT}|EMER`);
    expect(codes).not.toContain(`${ACT}|_ActEncounterCode`);
    expect(codes).toHaveLength(11);
  });

  it('an is-a filter includes the root and its whole subtree', () => {
    const codes = keys(official('http://hl7.org/fhir/ValueSet/sibling-relationship-codes'));
    expect(codes.slice(0, 2)).toEqual([`${ROLE}|SIB`, `${ROLE}|BRO`]);
    expect(codes).toContain(`${ROLE}|HSIS`);
    expect(codes).not.toContain(`${ROLE}|MTH`);
  });

  it('a filter on a code system the package does not carry is not supported (400)', () => {
    const error = thrown(() => official('http://hl7.org/fhir/ValueSet/example-intensional'));
    expect(error.status).toBe(400);
    expect(error.code).toBe('not-supported');
    expect(error.message).toContain('http://hl7.org/fhir/ValueSet/example-intensional');
    expect(error.message).toContain('http://loinc.org');
  });
});

describe('stored ValueSets', () => {
  const cs: CodeSystem = {
    resourceType: 'CodeSystem',
    status: 'active',
    url: 'http://example.org/cs/colors',
    content: 'complete',
    concept: [
      { code: 'warm', concept: [{ code: 'red', concept: [{ code: 'crimson' }] }, { code: 'orange' }] },
      { code: 'cold' },
    ],
  };
  const lookup = (...valueSets: ValueSet[]) =>
    storedTerminologyLookup({
      valueSets: new Map(valueSets.map((v) => [v.url!, v])),
      codeSystems: new Map([[cs.url!, cs]]),
    });

  it('expansion.contains wins over compose, nested entries flattened, abstract ones skipped', () => {
    const vs: ValueSet = {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'http://example.org/vs/expanded',
      compose: { include: [{ system: 'http://ignored', concept: [{ code: 'x' }] }] },
      expansion: {
        timestamp: '2024-01-01',
        contains: [
          { system: 'http://s', code: 'a' },
          {
            abstract: true,
            system: 'http://s',
            code: 'group',
            contains: [{ system: 'http://s', code: 'b' }],
          },
        ],
      },
    };
    expect(keys(expandValueSet(lookup(vs).valueSet(vs.url!)!, lookup(vs)))).toEqual([
      'http://s|a',
      'http://s|b',
    ]);
  });

  it('compose: concepts, an is-a filter on a stored CodeSystem, an official import, an exclude', () => {
    const vs: ValueSet = {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'http://example.org/vs/mixed',
      version: '2',
      compose: {
        include: [
          { system: 'http://example.org/cs/other', concept: [{ code: 'one' }] },
          { system: cs.url!, filter: [{ property: 'concept', op: 'is-a', value: 'warm' }] },
          { valueSet: ['http://hl7.org/fhir/ValueSet/administrative-gender'] },
        ],
        exclude: [
          { system: cs.url!, concept: [{ code: 'orange' }] },
          { system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'unknown' }] },
        ],
      },
    };
    const l = lookup(vs);
    expect(keys(expandValueSet(l.valueSet(vs.url!)!, l))).toEqual([
      'http://example.org/cs/other|one',
      `${cs.url}|warm`,
      `${cs.url}|red`,
      `${cs.url}|crimson`,
      'http://hl7.org/fhir/administrative-gender|male',
      'http://hl7.org/fhir/administrative-gender|female',
      'http://hl7.org/fhir/administrative-gender|other',
    ]);
  });

  it('several imports in one include are a union (R4), intersected with a system part', () => {
    const enumerated = (url: string, codes: string[]): ValueSet => ({
      resourceType: 'ValueSet',
      status: 'active',
      url,
      compose: { include: [{ system: cs.url!, concept: codes.map((code) => ({ code })) }] },
    });
    const a = enumerated('http://example.org/vs/a', ['warm', 'red']);
    const b = enumerated('http://example.org/vs/b', ['red', 'orange']);
    const both: ValueSet = {
      ...a,
      url: 'http://example.org/vs/both',
      compose: { include: [{ valueSet: [a.url!, b.url!] }] },
    };
    const l = lookup(a, b, both);
    expect(keys(viaLookup(both, l))).toEqual([`${cs.url}|warm`, `${cs.url}|red`, `${cs.url}|orange`]);
    const within: ValueSet = {
      ...a,
      url: 'http://example.org/vs/within',
      compose: {
        include: [
          {
            system: cs.url!,
            filter: [{ property: 'concept', op: 'is-a', value: 'red' }],
            valueSet: [a.url!, b.url!],
          },
        ],
      },
    };
    expect(keys(viaLookup(within, lookup(a, b, within)))).toEqual([`${cs.url}|red`]);
  });

  it('an import of an unknown ValueSet is invalid; a cycle and a too large one are refused', () => {
    const a: ValueSet = {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'http://example.org/vs/a',
      compose: { include: [{ valueSet: ['http://example.org/vs/b'] }] },
    };
    expect(thrown(() => viaLookup(a, lookup(a))).message).toContain(
      'imports an unknown ValueSet http://example.org/vs/b',
    );
    const b: ValueSet = {
      ...a,
      url: 'http://example.org/vs/b',
      compose: { include: [{ valueSet: [a.url!] }] },
    };
    expect(thrown(() => viaLookup(a, lookup(a, b))).message).toContain('circular import');
    const all: ValueSet = { ...a, compose: { include: [{ system: cs.url! }] } };
    expect(viaLookup(all, lookup(all))).toHaveLength(5);
    const tooLarge = thrown(() => viaLookup(all, lookup(all), 4));
    expect([tooLarge.status, tooLarge.code]).toEqual([400, 'too-large']);
  });

  it('a CodeSystem that is only a fragment cannot be enumerated', () => {
    const fragment: CodeSystem = { ...cs, url: 'http://example.org/cs/fragment', content: 'fragment' };
    const vs: ValueSet = {
      resourceType: 'ValueSet',
      status: 'active',
      url: 'http://example.org/vs/f',
      compose: { include: [{ system: fragment.url! }] },
    };
    const l = storedTerminologyLookup({
      valueSets: new Map([[vs.url!, vs]]),
      codeSystems: new Map([[fragment.url!, fragment]]),
    });
    expect(thrown(() => viaLookup(vs, l)).code).toBe('not-supported');
  });
});
