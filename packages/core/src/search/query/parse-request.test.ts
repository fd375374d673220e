import { describe, expect, it } from 'vitest';
import { FhirError } from '../../errors/fhir-error.js';
import type { SearchParams } from '../types.js';
import { compareSortTuples, decodeCursor, encodeCursor, queryFingerprint } from './cursor.js';
import { parseSearchRequest } from './parse-request.js';
import { dateRange, parseNumber, splitEscaped, unescapeValue } from './parse-values.js';
import type { ParamClause, ParsedSearch } from './types.js';

const parse = (resourceType: string | undefined, params: SearchParams, handling?: 'strict' | 'lenient') =>
  parseSearchRequest({
    ...(resourceType ? { resourceType } : {}),
    params,
    ...(handling ? { handling } : {}),
  });
const first = (q: ParsedSearch) => q.types[0]!.clauses[0] as ParamClause;
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof FhirError) return error.code;
    throw error;
  }
  return undefined;
};

describe('values', () => {
  it('splits on unescaped separators and unescapes', () => {
    expect(splitEscaped('a\\,b,c', ',')).toEqual(['a\\,b', 'c']);
    expect(splitEscaped('s\\|x|c', '|')).toEqual(['s\\|x', 'c']);
    expect(unescapeValue('a\\,b\\|c\\$d\\\\e')).toEqual('a,b|c$d\\e');
  });
  it('gives dates their precision range', () => {
    expect(dateRange('2020')).toEqual({ low: Date.UTC(2020, 0, 1), high: Date.UTC(2021, 0, 1) - 1 });
    expect(dateRange('2020-02')).toEqual({ low: Date.UTC(2020, 1, 1), high: Date.UTC(2020, 2, 1) - 1 });
    expect(dateRange('2020-02-29')).toEqual({ low: Date.UTC(2020, 1, 29), high: Date.UTC(2020, 2, 1) - 1 });
    expect(dateRange('2020-02-30')).toBeUndefined();
    expect(dateRange('2020-01-01T10:00')!.high - dateRange('2020-01-01T10:00')!.low).toBe(59_999);
    expect(dateRange('2020-01-01T10:00:00+02:00')!.low).toBe(Date.UTC(2020, 0, 1, 8));
    expect(dateRange('2020-01-01T10:00:00.5Z')).toEqual({
      low: Date.UTC(2020, 0, 1, 10, 0, 0, 500),
      high: Date.UTC(2020, 0, 1, 10, 0, 0, 500),
    });
    expect(dateRange('20-01')).toBeUndefined();
  });
  it('gives numbers their implied precision', () => {
    expect(parseNumber('100', 'x')).toEqual({ value: 100, low: 99.5, high: 100.5 });
    const p = parseNumber('2.50', 'x');
    expect(p.low).toBeCloseTo(2.495);
    expect(p.high).toBeCloseTo(2.505);
    expect(parseNumber('1e2', 'x')).toEqual({ value: 100, low: 50, high: 150 });
    expect(code(() => parseNumber('abc', 'x'))).toBe('invalid');
  });
});

describe('parseSearchRequest', () => {
  it('parses tokens with system|code, |code, system| and code; comma is OR, repetition is AND', () => {
    const q = parse('Observation', [
      ['code', 'http://loinc.org|1234-5,|abc'],
      ['code', 'http://x|'],
      ['status', 'final'],
    ]);
    const [c1, c2, c3] = q.types[0]!.clauses as ParamClause[];
    expect(c1!.values).toEqual([
      { kind: 'token', system: 'http://loinc.org', code: '1234-5' },
      { kind: 'token', system: '', code: 'abc' },
    ]);
    expect(c2!.values).toEqual([{ kind: 'token', system: 'http://x' }]);
    expect(c3!.values).toEqual([{ kind: 'token', code: 'final' }]);
    expect(q.selfParams).toEqual([
      ['code', 'http://loinc.org|1234-5,|abc'],
      ['code', 'http://x|'],
      ['status', 'final'],
    ]);
  });
  it('keeps escaped commas and pipes in values', () => {
    const c = first(parse('Patient', [['identifier', 'urn:a\\|b|v\\,1']]));
    expect(c.values).toEqual([{ kind: 'token', system: 'urn:a|b', code: 'v,1' }]);
  });
  it('parses token modifiers', () => {
    expect(first(parse('Patient', [['gender:not', 'male']])).modifier).toBe('not');
    expect(first(parse('Observation', [['code:text', 'Blood  Préssure']])).values).toEqual([
      { kind: 'token-text', text: 'blood pressure' },
    ]);
    expect(first(parse('Patient', [['identifier:of-type', 'http://t|MR|123']])).values).toEqual([
      { kind: 'token-of-type', typeSystem: 'http://t', typeCode: 'MR', value: '123' },
    ]);
    expect(code(() => parse('Patient', [['identifier:of-type', 'MR|123']]))).toBe('invalid');
    expect(code(() => parse('Observation', [['code:in', 'http://vs']], 'strict'))).toBe('invalid'); // unknown ValueSet
  });
  it('parses prefixes of dates, numbers and quantities, and rejects bad ones in both modes', () => {
    const d = first(parse('Patient', [['birthdate', 'ge2020-01']])).values[0];
    expect(d).toMatchObject({ kind: 'date', prefix: 'ge', low: Date.UTC(2020, 0, 1) });
    expect(first(parse('Patient', [['birthdate', '2020']])).values[0]).toMatchObject({ prefix: 'eq' });
    expect(code(() => parse('Patient', [['birthdate', 'xx2020']]))).toBe('invalid');
    expect(code(() => parse('Patient', [['birthdate', '2020-13']]))).toBe('invalid');
    expect(code(() => parse('RiskAssessment', [['probability', 'gtabc']]))).toBe('invalid');
    expect(
      first(parse('Observation', [['value-quantity', 'lt5.4|http://unitsofmeasure.org|mg']])).values[0],
    ).toMatchObject({
      kind: 'quantity',
      prefix: 'lt',
      value: 5.4,
      system: 'http://unitsofmeasure.org',
      code: 'mg',
    });
    expect(first(parse('Observation', [['value-quantity', '5.4||mg']])).values[0]).toMatchObject({
      code: 'mg',
    });
  });
  it('parses string modifiers and :missing', () => {
    expect(first(parse('Patient', [['name:exact', 'Zoë']])).values).toEqual([
      { kind: 'string', value: 'Zoë', normalized: 'zoe' },
    ]);
    expect(first(parse('Patient', [['name:contains', 'oe']])).modifier).toBe('contains');
    expect(first(parse('Patient', [['birthdate:missing', 'true']])).values).toEqual([
      { kind: 'missing', missing: true },
    ]);
    expect(code(() => parse('Patient', [['birthdate:missing', 'yes']]))).toBe('invalid');
  });
  it('parses references: Type/id, id, :Type, absolute url, :identifier', () => {
    expect(first(parse('Observation', [['subject', 'Patient/1']])).values).toEqual([
      { kind: 'reference', types: ['Patient'], id: '1' },
    ]);
    const bare = first(parse('Observation', [['subject', '1']])).values[0] as { types: string[] };
    expect(bare.types).toContain('Patient');
    expect(bare.types).toContain('Group');
    expect(first(parse('Observation', [['subject:Patient', '1']])).values).toEqual([
      { kind: 'reference', types: ['Patient'], id: '1' },
    ]);
    expect(first(parse('Observation', [['subject', 'http://x.org/fhir/Patient/1']])).values).toEqual([
      { kind: 'reference', types: ['Patient'], id: '1', url: 'http://x.org/fhir/Patient/1' },
    ]);
    expect(first(parse('Observation', [['subject:identifier', 'http://ids|42']])).values).toEqual([
      { kind: 'reference-identifier', system: 'http://ids', value: '42' },
    ]);
    expect(code(() => parse('Observation', [['subject:Medication', '1']], 'strict'))).toBe(
      'unknown-parameter',
    );
  });
  it('parses uri modifiers', () => {
    expect(first(parse('ValueSet', [['url:below', 'http://acme.org/fhir/']])).modifier).toBe('below');
    expect(first(parse('Patient', [['_profile:below', 'http://x/']])).modifier).toBe('below');
  });
  it('parses chains (typed, untyped, multi-level)', () => {
    const c = parse('Observation', [['subject:Patient.name', 'peter']]).types[0]!.clauses[0]!;
    expect(c).toMatchObject({
      kind: 'chain',
      param: { code: 'subject' },
      targets: [{ resourceType: 'Patient', inner: { kind: 'param', param: { code: 'name' } } }],
    });
    const untyped = parse('Observation', [['subject.name', 'peter']]).types[0]!.clauses[0]!;
    expect(untyped.kind === 'chain' && untyped.targets.map((t) => t.resourceType)).toContain('Patient');
    const deep = parse('Observation', [['subject:Patient.organization.name', 'acme']]).types[0]!.clauses[0]!;
    expect(deep).toMatchObject({
      kind: 'chain',
      targets: [
        { inner: { kind: 'chain', targets: [{ resourceType: 'Organization', inner: { kind: 'param' } }] } },
      ],
    });
    expect(code(() => parse('Observation', [['status.name', 'x']], 'strict'))).toBe('unknown-parameter');
  });
  it('parses _has, nested', () => {
    const c = parse('Patient', [['_has:Observation:patient:code', '1234-5']]).types[0]!.clauses[0]!;
    expect(c).toMatchObject({
      kind: 'has',
      sourceType: 'Observation',
      param: { code: 'patient' },
      inner: { kind: 'param', param: { code: 'code' } },
    });
    const nested = parse('Patient', [
      ['_has:Observation:patient:_has:AuditEvent:entity:agent', 'Practitioner/1'],
    ]).types[0]!.clauses[0]!;
    expect(nested).toMatchObject({ kind: 'has', inner: { kind: 'has', sourceType: 'AuditEvent' } });
    expect(code(() => parse('Patient', [['_has:Observation:code:code', 'x']], 'strict'))).toBe(
      'unknown-parameter',
    );
  });
  it('parses _id, _lastUpdated, _tag, _security, _source, _text, _content, _list', () => {
    const q = parse('Patient', [
      ['_id', 'a,b'],
      ['_lastUpdated', 'gt2020-01-01'],
      ['_tag', 'http://t|x'],
      ['_security', 'http://s|R'],
      ['_source', 'http://src'],
      ['_text', 'cough'],
      ['_content', 'fever'],
      ['_list', 'L1'],
    ]);
    const kinds = q.types[0]!.clauses.map((c) => (c.kind === 'param' ? c.param.code : c.kind));
    expect(kinds).toEqual([
      '_id',
      '_lastUpdated',
      '_tag',
      '_security',
      '_source',
      '_text',
      '_content',
      'list',
    ]);
    expect((q.types[0]!.clauses[5] as ParamClause).values).toEqual([{ kind: 'text', text: 'cough' }]);
  });
  it('parses result parameters', () => {
    const q = parse('Observation', [
      ['_count', '5'],
      ['_sort', '-date,_id,status'],
      ['_total', 'accurate'],
      ['_summary', 'true'],
      ['_elements', 'code,status'],
      ['_include', 'Observation:subject:Patient'],
      ['_include:iterate', 'Patient:organization'],
      ['_revinclude', 'Provenance:target'],
      ['_format', 'json'],
    ]);
    expect(q.count).toBe(5);
    expect(q.sort).toEqual([
      { code: 'date', type: 'date', descending: true },
      { code: '_id', type: 'token', descending: false },
      { code: 'status', type: 'token', descending: false },
    ]);
    expect(q.total).toBe('accurate');
    expect(q.summary).toBe('true');
    expect(q.elements).toBe('code,status');
    expect(q.include).toEqual([
      { sourceType: 'Observation', param: 'subject', targetType: 'Patient', iterate: false },
      { sourceType: 'Patient', param: 'organization', iterate: true },
    ]);
    expect(q.revinclude).toEqual([{ sourceType: 'Provenance', param: 'target', iterate: false }]);
    expect(q.selfParams.map(([n]) => n)).not.toContain('_format');
    expect(code(() => parse('Patient', [['_count', '-1']]))).toBe('invalid');
    expect(code(() => parse('Patient', [['_total', 'some']]))).toBe('invalid');
    expect(code(() => parse('Patient', [['_summary', 'maybe']]))).toBe('invalid');
    expect(code(() => parse('Patient', [['_sort', 'nope']], 'strict'))).toBe('unknown-parameter');
    expect(code(() => parse('Patient', [['_include', 'Patient:nope']], 'strict'))).toBe('unknown-parameter');
    expect(parse('Patient', [['_count', '100000']]).count).toBe(1000);
  });
  it('parses system search with _type and compartment search', () => {
    const q = parse(undefined, [
      ['_type', 'Patient,Practitioner'],
      ['name', 'x'],
    ]);
    expect(q.types.map((t) => t.resourceType)).toEqual(['Patient', 'Practitioner']);
    expect(q.types.every((t) => t.clauses.length === 1)).toBe(true);
    expect(parse(undefined, [['_id', 'x']]).types[0]!.resourceType).toBe('*');
    const c = parseSearchRequest({
      resourceType: 'Observation',
      params: [],
      compartment: { resourceType: 'Patient', id: 'p1' },
    });
    expect(c.types[0]!.clauses[0]).toMatchObject({
      kind: 'compartment',
      id: 'p1',
      params: [{ code: 'subject' }, { code: 'performer' }],
    });
    expect(
      code(() =>
        parseSearchRequest({
          resourceType: 'Observation',
          params: [],
          compartment: { resourceType: 'Encounter', id: 'e' },
        }),
      ),
    ).toBe('not-supported');
  });
  it('strict rejects unknown parameters and modifiers; lenient drops them with a warning', () => {
    expect(code(() => parse('Patient', [['nope', 'x']], 'strict'))).toBe('unknown-parameter');
    expect(code(() => parse('Patient', [['name:nope', 'x']], 'strict'))).toBe('unknown-parameter');
    expect(code(() => parse('Patient', [['_filter', 'x']], 'strict'))).toBe('not-supported');
    const q = parse('Patient', [
      ['nope', 'x'],
      ['name:nope', 'y'],
      ['_filter', 'z'],
      ['gender', 'male'],
    ]);
    expect(q.selfParams).toEqual([['gender', 'male']]);
    expect(q.warnings).toHaveLength(3);
    expect(q.warnings[0]).toMatchObject({ severity: 'warning', expression: ['nope'] });
    expect(code(() => parse('Patient', [['birthdate', 'notadate']]))).toBe('invalid');
    expect(code(() => parse('NotAType', []))).toBe('not-found');
  });
  it('reports parameters that are not ready yet', () => {
    const options = {
      notReady: (_t: string, c: string) => (c === 'gender' ? 'gender is being indexed' : undefined),
    };
    expect(
      code(() =>
        parseSearchRequest(
          { resourceType: 'Patient', params: [['gender', 'x']], handling: 'strict' },
          options,
        ),
      ),
    ).toBe('not-ready');
    const q = parseSearchRequest({ resourceType: 'Patient', params: [['gender', 'x']] }, options);
    expect(q.warnings[0]).toMatchObject({ code: 'transient' });
  });
});

describe('composite parameters', () => {
  const UCUM = 'http://unitsofmeasure.org';
  it('parses each component by its own type, with prefixes on the components that take them', () => {
    const c = first(
      parse('Observation', [['code-value-quantity', `http://loinc.org|8302-2$gt150|${UCUM}|cm`]]),
    );
    expect(c.param).toMatchObject({ code: 'code-value-quantity', type: 'composite' });
    expect(c.values).toEqual([
      {
        kind: 'composite',
        components: [
          { kind: 'token', system: 'http://loinc.org', code: '8302-2' },
          { kind: 'quantity', prefix: 'gt', value: 150, low: 149.5, high: 150.5, system: UCUM, code: 'cm' },
        ],
      },
    ]);
    const date = first(parse('Observation', [['code-value-date', '1234-5$le2020-01']])).values[0];
    expect(date).toMatchObject({
      components: [
        { kind: 'token', code: '1234-5' },
        { kind: 'date', prefix: 'le', raw: '2020-01' },
      ],
    });
    const str = first(parse('Observation', [['code-value-string', 'x$Zoë']])).values[0];
    expect(str).toMatchObject({ components: [{ code: 'x' }, { kind: 'string', normalized: 'zoe' }] });
    // A prefix-like token is a code: tokens take no prefixes.
    const concept = first(parse('Observation', [['code-value-concept', 'gt1$ne2']])).values[0];
    expect(concept).toEqual({
      kind: 'composite',
      components: [
        { kind: 'token', code: 'gt1' },
        { kind: 'token', code: 'ne2' },
      ],
    });
    const numbers = first(parse('MolecularSequence', [['chromosome-window-coordinate', '1$ge100$lt200']]))
      .values[0];
    expect(numbers).toMatchObject({
      components: [{ code: '1' }, { kind: 'number', prefix: 'ge', value: 100 }, { prefix: 'lt', value: 200 }],
    });
  });
  it('comma is OR, repetition is AND, escaped $ stays in a component', () => {
    const q = parse('Observation', [
      ['code-value-concept', 'a$b,c$d'],
      ['code-value-concept', 'e$f\\$g'],
    ]);
    const [one, two] = q.types[0]!.clauses as ParamClause[];
    expect(
      one!.values.map((v) =>
        v.kind === 'composite' ? v.components.map((c) => c.kind === 'token' && c.code) : [],
      ),
    ).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(two!.values[0]).toMatchObject({ components: [{ code: 'e' }, { code: 'f$g' }] });
    expect(q.selfParams).toEqual([
      ['code-value-concept', 'a$b,c$d'],
      ['code-value-concept', 'e$f\\$g'],
    ]);
  });
  it(':missing is allowed, other modifiers are not', () => {
    expect(first(parse('Observation', [['code-value-quantity:missing', 'true']])).values).toEqual([
      { kind: 'missing', missing: true },
    ]);
    expect(code(() => parse('Observation', [['code-value-quantity:exact', 'a$1']], 'strict'))).toBe(
      'unknown-parameter',
    );
  });
  it('rejects malformed composite values in both modes', () => {
    for (const bad of ['8302-2', '8302-2$1$2', '$150', '8302-2$', '8302-2$xx150', '8302-2$150|cm', 'a$1,']) {
      expect(code(() => parse('Observation', [['code-value-quantity', bad]]))).toBe('invalid');
      expect(code(() => parse('Observation', [['code-value-quantity', bad]], 'strict'))).toBe('invalid');
    }
    expect(code(() => parse('Observation', [['code-value-date', 'a$2020-13']]))).toBe('invalid');
    expect(code(() => parse('Observation', [['code-value-nope', 'a$1']], 'strict'))).toBe(
      'unknown-parameter',
    );
  });
  it('uses the lookup for component definitions, falling back to the official ones', () => {
    const lookup = {
      get: (t: string, c: string) =>
        c === 'pair'
          ? {
              url: 'http://x/pair',
              code: 'pair',
              base: [t],
              type: 'composite' as const,
              expression: 'Observation.component',
              component: [
                { definition: 'http://hl7.org/fhir/SearchParameter/clinical-code', expression: 'code' },
                { definition: 'http://x/missing', expression: 'value' },
              ],
            }
          : undefined,
    };
    expect(
      code(() =>
        parseSearchRequest(
          { resourceType: 'Observation', params: [['pair', 'a$b']], handling: 'strict' },
          { lookup },
        ),
      ),
    ).toBe('not-supported');
  });
});

describe('cursor', () => {
  it('round-trips and checks the query', () => {
    const fp = queryFingerprint('Patient', [['name', 'x']]);
    const c = encodeCursor({
      snapshot: 7,
      direction: 'next',
      key: ['a', 1, null, 'Patient', 'x'],
      query: fp,
    });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, fp)).toEqual({
      snapshot: 7,
      direction: 'next',
      key: ['a', 1, null, 'Patient', 'x'],
      query: fp,
    });
    expect(code(() => decodeCursor(c, 'other'))).toBe('invalid');
    expect(code(() => decodeCursor('garbage!!', fp))).toBe('invalid');
  });
  it('orders tuples with descending keys and nulls last', () => {
    expect(compareSortTuples(['a', 'P', '1'], ['b', 'P', '0'], [false])).toBeLessThan(0);
    expect(compareSortTuples(['a', 'P', '1'], ['b', 'P', '0'], [true])).toBeGreaterThan(0);
    expect(compareSortTuples([null, 'P', '1'], ['b', 'P', '0'], [true])).toBeGreaterThan(0);
    expect(compareSortTuples([2, 'P', '1'], [10, 'P', '0'], [false])).toBeLessThan(0);
  });
});
