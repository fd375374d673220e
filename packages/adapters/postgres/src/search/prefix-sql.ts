/** SQL for the prefixes (eq ne gt lt ge le sa eb ap) of date, number and quantity searches. */
import {
  approximateDateRange,
  approximateNumberRange,
  canonicalQuantityQuery,
  type DateQuery,
  type SearchPrefix,
  type ValueQuery,
} from '@fhirstream/core';
import type { SqlParams, ValueSql } from './sql-params.js';

/** Date prefixes over the resource's range `[low, high]` and the search value's range `[pl, ph]`. */
export function dateSql(q: SqlParams, v: DateQuery, now: number): ValueSql {
  // Placeholders are typed by their use: allocate only those a prefix uses.
  let pl0: string | undefined;
  let ph0: string | undefined;
  const pl = () => (pl0 ??= q.p(v.low));
  const ph = () => (ph0 ??= q.p(v.high));
  const eq = () => `x.low >= ${pl()} AND x.low <= ${ph()} AND x.high <= ${ph()}`;
  const one = (cond: string): ValueSql => ({ table: 'date', cond });
  switch (v.prefix) {
    case 'eq':
      return one(eq());
    case 'ne':
      return { table: 'date', cond: eq(), negate: true, within: 'TRUE' };
    case 'gt':
      return one(`x.high > ${ph()}`);
    case 'lt':
      return one(`x.low < ${pl()}`);
    // Some part of the value at or after the start (at or before the end) of the search range.
    case 'ge':
      return one(`x.high >= ${pl()}`);
    case 'le':
      return one(`x.low <= ${ph()}`);
    case 'sa':
      return one(`x.low > ${ph()}`);
    case 'eb':
      return one(`x.high < ${pl()}`);
    case 'ap': {
      const [lo, hi] = approximateDateRange(v.low, v.high, now);
      return one(`x.low <= ${q.p(hi)} AND x.high >= ${q.p(lo)}`);
    }
  }
}

/** A number prefix over `x.value`, among the rows selected by `rows`. */
export function numberSql(
  q: SqlParams,
  rows: string,
  prefix: SearchPrefix,
  value: number,
  low: number,
  high: number,
): ValueSql {
  const one = (cond: string): ValueSql => ({ table: 'number', cond: `${rows} AND ${cond}` });
  switch (prefix) {
    case 'eq':
      return one(`x.value >= ${q.p(low)} AND x.value < ${q.p(high)}`);
    case 'ne':
      return {
        table: 'number',
        cond: `${rows} AND x.value >= ${q.p(low)} AND x.value < ${q.p(high)}`,
        negate: true,
        within: rows,
      };
    case 'gt':
    case 'sa':
      return one(`x.value > ${q.p(value)}`);
    case 'lt':
    case 'eb':
      return one(`x.value < ${q.p(value)}`);
    case 'ge':
      return one(`x.value >= ${q.p(value)}`);
    case 'le':
      return one(`x.value <= ${q.p(value)}`);
    case 'ap': {
      const [lo, hi] = approximateNumberRange(value);
      return one(`x.value >= ${q.p(lo)} AND x.value <= ${q.p(hi)}`);
    }
  }
}

export function quantitySql(q: SqlParams, v: Extract<ValueQuery, { kind: 'quantity' }>): ValueSql {
  if (v.system === undefined && v.code === undefined)
    return numberSql(q, `x.k = 'q'`, v.prefix, v.value, v.low, v.high);
  if (v.system === undefined)
    return numberSql(q, `x.k = 'u' AND x.unit = ${q.p(v.code!)}`, v.prefix, v.value, v.low, v.high);
  const alternatives: ValueSql[] = [];
  if (v.code !== undefined)
    alternatives.push(
      numberSql(
        q,
        `x.k = 's' AND x.sys = ${q.p(v.system)} AND x.unit = ${q.p(v.code)}`,
        v.prefix,
        v.value,
        v.low,
        v.high,
      ),
    );
  const c = canonicalQuantityQuery(v);
  if (c)
    alternatives.push(
      numberSql(q, `x.k = 'c' AND x.unit = ${q.p(c.code)}`, v.prefix, c.value, c.low, c.high),
    );
  if (alternatives.length === 0) return { table: 'number', cond: 'FALSE' };
  const cond = alternatives.map((a) => `(${a.cond})`).join(' OR ');
  return alternatives[0]!.negate
    ? { table: 'number', cond, negate: true, within: `x.k = 'q'` }
    : { table: 'number', cond };
}
