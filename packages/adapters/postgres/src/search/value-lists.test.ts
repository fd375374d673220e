import { FhirError } from '@fhirstream/core';
import { describe, expect, it } from 'vitest';
import { MAX_PARAMETERS, SqlParams } from './sql-params.js';
import { type Alternative, anyOf, eachOf, GENERIC_MIN, TemplateParams } from './value-lists.js';

/** The alternatives `build` compiles for each of `values`, recorded as templates. */
const alternatives = <T>(values: T[], build: (t: TemplateParams, v: T) => string | string[]): Alternative[] =>
  values.map((v) => {
    const t = new TemplateParams();
    const parts = build(t, v);
    return { parts: Array.isArray(parts) ? parts : [parts], args: t.values };
  });
const token = (t: TemplateParams, [system, code]: [string | undefined, string]) =>
  system === undefined ? `x.value = ${t.p(code)}` : `x.system = ${t.p(system)} AND x.value = ${t.p(code)}`;
const date = (t: TemplateParams, [low, high]: [number, number]) => {
  const ph = t.p(high);
  return `x.low >= ${t.p(low)} AND x.low <= ${ph} AND x.high <= ${ph}`;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('OR lists bound as arrays', () => {
  it('one alternative keeps one parameter per argument', () => {
    const q = new SqlParams();
    expect(anyOf(q, alternatives([['http://s', 'a']], token))).toEqual({
      cond: 'x.system = $1 AND x.value = $2',
      from: '',
    });
    expect(q.values).toEqual(['http://s', 'a']);
  });

  it('codes: one array; system|code pairs: an array per column, a constant column once', () => {
    const q = new SqlParams();
    const codes = range(5000).map((i) => [undefined, `c${i}`] as [undefined, string]);
    expect(anyOf(q, alternatives(codes, token)).cond).toBe('x.value = ANY($1::text[])');
    expect((q.values[0] as string[]).length).toBe(5000);
    const pairs = alternatives(
      [
        ['http://a', '1'],
        ['', '2'],
        ['http://a', '3'],
        ['http://a', '1'],
      ],
      token,
    );
    expect(anyOf(q, pairs).cond).toBe(
      'x.value = ANY($3::text[]) AND (x.system, x.value) IN (SELECT * FROM unnest($2::text[], $3::text[]))',
    );
    expect(q.values.slice(1)).toEqual([
      ['http://a', '', 'http://a'],
      ['1', '2', '3'],
    ]);
    const oneSystem = alternatives(
      [
        ['http://a', '1'],
        ['http://a', '2'],
      ],
      token,
    );
    expect(anyOf(q, oneSystem).cond).toBe('x.system = $4 AND x.value = ANY($5::text[])');
  });

  it('shapes are bound separately and ORed', () => {
    const q = new SqlParams();
    const mixed = alternatives<[string | undefined, string]>(
      [
        ['http://a', '1'],
        [undefined, 'x'],
        ['http://b', '2'],
        [undefined, 'y'],
      ],
      token,
    );
    expect(anyOf(q, mixed).cond).toBe(
      '(x.value = ANY($2::text[]) AND (x.system, x.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))) OR (x.value = ANY($3::text[]))',
    );
  });

  it('arrays of `= ANY` are spread into rows (references by bare id, :above)', () => {
    const q = new SqlParams();
    const ref = (t: TemplateParams, [types, id]: [string[], string]) =>
      `(x.ttype = ANY(${t.p(types)}::text[]) AND x.tid = ${t.p(id)})`;
    const refs = alternatives(
      [
        [['Patient', 'Group'], '1'],
        [['Patient', 'Group'], '2'],
      ],
      ref,
    );
    expect(anyOf(q, refs).cond).toBe('x.ttype = ANY($1::text[]) AND x.tid = ANY($2::text[])');
    const typed = alternatives(
      [
        [['Patient'], '1'],
        [['Group'], '1'],
        [[], '3'],
      ],
      ref,
    );
    expect(anyOf(q, typed).cond).toBe('x.tid = $3 AND x.ttype = ANY($4::text[])');
    expect(q.values.slice(2)).toEqual(['1', ['Patient', 'Group']]);
  });

  it('other templates: an OR below GENERIC_MIN alternatives, a join with unnest from there on', () => {
    const q = new SqlParams();
    const few = anyOf(
      q,
      alternatives(
        [
          [1, 2],
          [3, 4],
        ],
        date,
      ),
    );
    expect(few.cond).toBe(
      '(x.low >= $2 AND x.low <= $1 AND x.high <= $1) OR (x.low >= $4 AND x.low <= $3 AND x.high <= $3)',
    );
    const many = anyOf(
      q,
      alternatives(
        range(GENERIC_MIN).map((i) => [i, i + 0.5] as [number, number]),
        date,
      ),
    );
    expect(many).toEqual({
      cond: 'x.low >= v1.a1 AND x.low <= v1.a0 AND x.high <= v1.a0',
      from: 'unnest($5::float8[], $6::float8[]) AS v1(a0, a1)',
    });
    expect(q.values.length).toBe(6);
  });

  it('eachOf: several parts per alternative, many of them as EXISTS over the unnest', () => {
    const q = new SqlParams();
    const ne = alternatives(
      range(GENERIC_MIN).map((i) => [i, i + 1] as [number, number]),
      (t, d) => [date(t, d), 'TRUE'],
    );
    expect(eachOf(q, ne, ([cond, within]) => `NOT EXISTS (… ${cond}) AND ${within}`)).toBe(
      'EXISTS (SELECT 1 FROM unnest($1::float8[], $2::float8[]) AS v1(a0, a1) WHERE NOT EXISTS (… x.low >= v1.a1 AND x.low <= v1.a0 AND x.high <= v1.a0) AND TRUE)',
    );
  });

  it('arguments that cannot be typed as one array stay one parameter each', () => {
    const q = new SqlParams();
    const odd = alternatives(
      range(GENERIC_MIN).map((i) => (i % 2 ? i : `s${i}`)),
      (t, v) => `x.value LIKE ${t.p(v)}`,
    );
    anyOf(q, odd);
    expect(q.values.length).toBe(GENERIC_MIN);
  });

  it('composite templates: aliases from one base', () => {
    const t = new TemplateParams('c3');
    expect([t.alias('c'), t.alias('c')]).toEqual(['c3_c1', 'c3_c2']);
  });

  it(`a statement that still needs more than ${MAX_PARAMETERS} parameters is a 400`, () => {
    const q = new SqlParams();
    for (let i = 0; i < MAX_PARAMETERS; i++) q.p(i);
    const error = (() => {
      try {
        q.p(0);
      } catch (e) {
        return e;
      }
    })();
    expect(FhirError.is(error) && error.status).toBe(400);
  });
});
