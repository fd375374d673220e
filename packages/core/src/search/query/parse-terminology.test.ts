import type { CodeSystem, ValueSet } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { FhirError } from '../../errors/fhir-error.js';
import { resolveSearchTerminology, type TerminologySource } from '../../terminology/resolve.js';
import type { SearchParams } from '../types.js';
import { parseSearchRequest } from './parse-request.js';
import { NO_CODE } from './parse-terminology.js';
import type { ParamClause, ParseSearchOptions } from './public.js';

const GENDER = 'http://hl7.org/fhir/administrative-gender';
const OBS_STATUS = 'http://hl7.org/fhir/observation-status';
const clause = (type: string, params: SearchParams, options: ParseSearchOptions = {}) =>
  parseSearchRequest({ resourceType: type, params, handling: 'strict' }, options).types[0]!
    .clauses[0] as ParamClause;
const tokens = (c: ParamClause) =>
  c.values.map((v) => (v.kind === 'token' ? `${v.system}|${v.code}` : v.kind));
const error = (fn: () => unknown): FhirError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FhirError) return e;
    throw e;
  }
  throw new Error('expected a FhirError');
};

/** An in-memory source, as a store would answer. */
function memorySource(resources: Array<ValueSet | CodeSystem>): TerminologySource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async allByUrl(type, url) {
      asked.push(`${type} ${url}`);
      return resources.filter((r) => r.resourceType === type && r.url === url);
    },
    async valueSetById(id) {
      asked.push(`ValueSet/${id}`);
      return resources.find((r): r is ValueSet => r.resourceType === 'ValueSet' && r.id === id);
    },
  };
}

describe(':in / :not-in', () => {
  it('expand an official ValueSet into system|code and |code tokens, ORed', () => {
    const c = clause('Patient', [['gender:in', 'http://hl7.org/fhir/ValueSet/administrative-gender']]);
    expect(c.modifier).toBeUndefined();
    expect(tokens(c)).toEqual([
      `${GENDER}|male`,
      `${GENDER}|female`,
      `${GENDER}|other`,
      `${GENDER}|unknown`,
      '|male',
      '|female',
      '|other',
      '|unknown',
    ]);
  });

  it(':not-in is the same list under :not; several ValueSets are ORed', () => {
    const c = clause('Observation', [
      [
        'status:not-in',
        'http://hl7.org/fhir/ValueSet/observation-status,http://hl7.org/fhir/ValueSet/yesnodontknow',
      ],
    ]);
    expect(c.modifier).toBe('not');
    expect(tokens(c)).toContain(`${OBS_STATUS}|final`);
    expect(tokens(c)).toContain('http://terminology.hl7.org/CodeSystem/v2-0136|Y');
  });

  it('an unknown ValueSet answers 400 invalid in both handlings; an unexpandable one 400 not-supported', () => {
    for (const handling of ['strict', 'lenient'] as const) {
      const e = error(() =>
        parseSearchRequest({ resourceType: 'Patient', params: [['gender:in', 'http://x.org/vs']], handling }),
      );
      expect([e.status, e.code]).toEqual([400, 'invalid']);
      expect(e.message).toContain('unknown ValueSet http://x.org/vs');
      expect(e.outcome.issue[0]!.expression).toEqual(['gender:in']);
    }
    const e = error(() =>
      clause('Observation', [['code:in', 'http://hl7.org/fhir/ValueSet/example-intensional']]),
    );
    expect([e.status, e.code, e.outcome.issue[0]!.code]).toEqual([400, 'not-supported', 'not-supported']);
  });

  it('only on tokens', () => {
    const e = error(() =>
      clause('Patient', [['name:in', 'http://hl7.org/fhir/ValueSet/administrative-gender']]),
    );
    expect(e.code).toBe('unknown-parameter');
  });
});

describe(':below / :above', () => {
  it('the code and its descendants / ancestors in the CodeSystem hierarchy', () => {
    expect(tokens(clause('Observation', [['status:below', `${OBS_STATUS}|amended`]]))).toEqual([
      `${OBS_STATUS}|amended`,
      `${OBS_STATUS}|corrected`,
      '|amended',
      '|corrected',
    ]);
    expect(tokens(clause('Observation', [['status:above', `${OBS_STATUS}|corrected`]])).slice(0, 2)).toEqual([
      `${OBS_STATUS}|corrected`,
      `${OBS_STATUS}|amended`,
    ]);
  });

  it('need system|code of a known hierarchy', () => {
    expect(error(() => clause('Observation', [['status:below', 'amended']])).code).toBe('invalid');
    expect(error(() => clause('Observation', [['status:below', `${OBS_STATUS}|nope`]])).code).toBe('invalid');
    const e = error(() => clause('Observation', [['code:below', 'http://snomed.info/sct|404684003']]));
    expect([e.status, e.code]).toEqual([400, 'not-supported']);
    expect(e.message).toContain('http://snomed.info/sct');
  });
});

describe('stored terminology (resolveSearchTerminology)', () => {
  const cs: CodeSystem = {
    resourceType: 'CodeSystem',
    status: 'active',
    url: 'http://example.org/cs',
    content: 'complete',
    concept: [{ code: 'a', concept: [{ code: 'a1' }] }, { code: 'b' }],
  };
  const vs: ValueSet = {
    resourceType: 'ValueSet',
    id: 'vs1',
    status: 'active',
    url: 'http://example.org/vs',
    version: '1.0',
    compose: { include: [{ system: cs.url!, filter: [{ property: 'concept', op: 'is-a', value: 'a' }] }] },
  };

  it('reads the referenced ValueSets and CodeSystems, by url and by id, and nothing for other searches', async () => {
    const source = memorySource([cs, vs]);
    expect(await resolveSearchTerminology([['code', 'x']], source)).toBeUndefined();
    const params: SearchParams = [
      ['code:in', 'ValueSet/vs1'],
      ['code:not-in', 'http://example.org/vs|1.0'],
      ['code:above', `${cs.url}|a1`],
    ];
    const terminology = await resolveSearchTerminology(params, source);
    expect(source.asked.sort()).toEqual([
      'CodeSystem http://example.org/cs',
      'ValueSet http://example.org/vs',
      'ValueSet/vs1',
    ]);
    const q = parseSearchRequest({ resourceType: 'Observation', params }, { terminology: terminology! });
    const [inById, notIn, above] = q.types[0]!.clauses as ParamClause[];
    expect(tokens(inById!).slice(0, 2)).toEqual([`${cs.url}|a`, `${cs.url}|a1`]);
    expect(notIn!.modifier).toBe('not');
    expect(tokens(above!).slice(0, 2)).toEqual([`${cs.url}|a1`, `${cs.url}|a`]);
  });

  it('an empty expansion matches nothing (a code no resource has)', async () => {
    const empty: ValueSet = {
      ...vs,
      url: 'http://example.org/empty',
      expansion: { timestamp: '2024', contains: [] },
    };
    const terminology = await resolveSearchTerminology([['code:in', empty.url!]], memorySource([empty]));
    const c = clause('Observation', [['code:in', empty.url!]], { terminology: terminology! });
    expect(c.values).toEqual([NO_CODE]);
  });

  it('without a resolved lookup, a stored ValueSet is unknown', () => {
    expect(error(() => clause('Observation', [['code:in', 'ValueSet/vs1']])).message).toContain(
      'only official R4 ValueSets are known here',
    );
  });
});
