/**
 * The search conformance suite: token modifiers answered from terminology
 * (`:in`, `:not-in`, `:below`, `:above`), with official definitions and with
 * ValueSets / CodeSystems stored like any resource. The terminology is
 * resolved first, as the server does before every search.
 */
import { describe, expect, it } from 'vitest';
import { FhirError } from '../errors/fhir-error.js';
import type { SearchParams } from '../search/types.js';
import type { AnyResource } from '../store/types.js';
import { engineTerminologySource, resolveSearchTerminology } from '../terminology/resolve.js';
import { O, P, type SearchConformanceOptions, sharedHarness } from './search-conformance.fixture.js';

const OBS_STATUS = 'http://hl7.org/fhir/observation-status';
const GENDER = 'http://hl7.org/fhir/administrative-gender';
const COLORS = 'http://example.org/fhir/CodeSystem/colors';
const obs = (id: string, status: string, code: string) => ({
  resourceType: 'Observation',
  id,
  status,
  code: { coding: [{ system: COLORS, code }] },
});
const vs = (id: string, url: string, body: object) => ({
  resourceType: 'ValueSet',
  id,
  url,
  status: 'active',
  ...body,
});

/** Patients with each gender (and none), observations with statuses and codes of a stored hierarchy. */
const DATA = [
  { resourceType: 'Patient', id: 'p1', gender: 'male' },
  { resourceType: 'Patient', id: 'p2', gender: 'female' },
  { resourceType: 'Patient', id: 'p3', gender: 'other' },
  { resourceType: 'Patient', id: 'p4' },
  obs('o1', 'final', 'red'),
  obs('o2', 'amended', 'crimson'),
  obs('o3', 'corrected', 'cold'),
  obs('o4', 'preliminary', 'orange'),
  obs('o5', 'cancelled', 'warm'),
  {
    resourceType: 'CodeSystem',
    id: 'colors',
    url: COLORS,
    status: 'active',
    content: 'complete',
    concept: [
      { code: 'warm', concept: [{ code: 'red', concept: [{ code: 'crimson' }] }, { code: 'orange' }] },
      { code: 'cold' },
    ],
  },
  vs('warm', 'http://example.org/fhir/ValueSet/warm-not-orange', {
    compose: {
      include: [{ system: COLORS, filter: [{ property: 'concept', op: 'descendent-of', value: 'warm' }] }],
      exclude: [{ system: COLORS, concept: [{ code: 'orange' }] }],
    },
  }),
  vs('cold', 'http://example.org/fhir/ValueSet/cold', {
    compose: { include: [{ system: COLORS, concept: [{ code: 'cold' }] }] },
  }),
  vs('expanded', 'http://example.org/fhir/ValueSet/final-or-amended', {
    expansion: {
      timestamp: '2024-01-01T00:00:00Z',
      contains: [
        { system: OBS_STATUS, code: 'final' },
        { system: OBS_STATUS, code: 'amended' },
      ],
    },
  }),
  vs('nested', 'http://example.org/fhir/ValueSet/nested', {
    compose: {
      include: [
        { valueSet: ['http://example.org/fhir/ValueSet/cold'] },
        { valueSet: ['http://hl7.org/fhir/ValueSet/administrative-gender'] },
      ],
    },
  }),
  vs('empty', 'http://example.org/fhir/ValueSet/empty', {
    expansion: { timestamp: '2024-01-01', contains: [] },
  }),
] as AnyResource[];

export function describeTerminology(options: SearchConformanceOptions): void {
  describe('token modifiers from terminology', () => {
    const f = sharedHarness(options, DATA);
    const ids = async (type: string, params: SearchParams) => {
      const { search, store } = f().fixture;
      const terminology = await resolveSearchTerminology(params, engineTerminologySource(search, store));
      return f().ids(type, params, terminology ? { terminology } : {});
    };
    const rejected = async (type: string, params: SearchParams): Promise<FhirError> => {
      try {
        await ids(type, params);
      } catch (error) {
        if (error instanceof FhirError) return error;
        throw error;
      }
      throw new Error('expected a FhirError');
    };

    it(':in with an official ValueSet (codes without a system take the binding system)', async () => {
      const url = 'http://hl7.org/fhir/ValueSet/administrative-gender';
      expect(await ids('Patient', [['gender:in', url]])).toEqual(P('p1', 'p2', 'p3'));
      expect(
        await ids('Observation', [['status:in', 'http://hl7.org/fhir/ValueSet/observation-status']]),
      ).toEqual(O('o1', 'o2', 'o3', 'o4', 'o5'));
    });

    it(':in with stored ValueSets: compose filter + exclude, by id, expansion, nested imports', async () => {
      expect(
        await ids('Observation', [['code:in', 'http://example.org/fhir/ValueSet/warm-not-orange']]),
      ).toEqual(O('o1', 'o2'));
      expect(await ids('Observation', [['code:in', 'ValueSet/cold']])).toEqual(O('o3'));
      expect(
        await ids('Observation', [['status:in', 'http://example.org/fhir/ValueSet/final-or-amended']]),
      ).toEqual(O('o1', 'o2'));
      expect(await ids('Observation', [['code:in', 'http://example.org/fhir/ValueSet/nested']])).toEqual(
        O('o3'),
      );
      expect(await ids('Patient', [['gender:in', 'http://example.org/fhir/ValueSet/nested']])).toEqual(
        P('p1', 'p2', 'p3'),
      );
      expect(
        await ids('Observation', [
          ['code:in', 'ValueSet/cold,http://example.org/fhir/ValueSet/warm-not-orange'],
        ]),
      ).toEqual(O('o1', 'o2', 'o3'));
    });

    it(':not-in excludes every code of the ValueSet (resources without a value included, as :not)', async () => {
      expect(
        await ids('Observation', [['status:not-in', 'http://example.org/fhir/ValueSet/final-or-amended']]),
      ).toEqual(O('o3', 'o4', 'o5'));
      expect(
        await ids('Observation', [['code:not-in', 'http://example.org/fhir/ValueSet/warm-not-orange']]),
      ).toEqual(O('o3', 'o4', 'o5'));
      expect(
        await ids('Patient', [['gender:not-in', 'http://hl7.org/fhir/ValueSet/administrative-gender']]),
      ).toEqual(P('p4'));
      expect(await ids('Patient', [['gender:not', 'male,female']])).toEqual(P('p3', 'p4'));
    });

    it('an empty expansion: :in matches nothing, :not-in everything', async () => {
      expect(await ids('Patient', [['gender:in', 'http://example.org/fhir/ValueSet/empty']])).toEqual([]);
      expect(await ids('Patient', [['gender:not-in', 'http://example.org/fhir/ValueSet/empty']])).toEqual(
        P('p1', 'p2', 'p3', 'p4'),
      );
    });

    it(':below / :above on an official hierarchy and on a stored CodeSystem', async () => {
      expect(await ids('Observation', [['status:below', `${OBS_STATUS}|amended`]])).toEqual(O('o2', 'o3'));
      expect(await ids('Observation', [['status:above', `${OBS_STATUS}|corrected`]])).toEqual(O('o2', 'o3'));
      expect(await ids('Observation', [['status:below', `${OBS_STATUS}|final`]])).toEqual(O('o1'));
      expect(await ids('Observation', [['code:below', `${COLORS}|red`]])).toEqual(O('o1', 'o2'));
      expect(await ids('Observation', [['code:below', `${COLORS}|warm`]])).toEqual(O('o1', 'o2', 'o4', 'o5'));
      expect(await ids('Observation', [['code:above', `${COLORS}|crimson`]])).toEqual(O('o1', 'o2', 'o5'));
      expect(await ids('Patient', [['gender:below', `${GENDER}|male`]])).toEqual(P('p1'));
    });

    it('400 for an unknown ValueSet, an unexpandable one, and an unknown hierarchy', async () => {
      const unknown = await rejected('Patient', [['gender:in', 'http://example.org/fhir/ValueSet/nope']]);
      expect([unknown.status, unknown.outcome.issue[0]!.code]).toEqual([400, 'invalid']);
      expect(unknown.message).toContain('http://example.org/fhir/ValueSet/nope');
      const snomed = await rejected('Observation', [
        ['code:in', 'http://hl7.org/fhir/ValueSet/example-intensional'],
      ]);
      expect([snomed.status, snomed.outcome.issue[0]!.code]).toEqual([400, 'not-supported']);
      const below = await rejected('Observation', [['code:below', 'http://snomed.info/sct|404684003']]);
      expect([below.status, below.outcome.issue[0]!.code]).toEqual([400, 'not-supported']);
    });
  });
}
