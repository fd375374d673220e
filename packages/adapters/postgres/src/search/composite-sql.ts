/**
 * SQL of composite search values over the `cmp` table (`composite-rows.ts`):
 * the first component selects rows (`n = 0`, by the `(type, param, n, tvalue,
 * system)` index when it is a token), each other component must have a
 * matching row of the same resource, parameter and repetition (`rep`). Every
 * component is translated by the condition of its own kind, its columns
 * renamed to those of the `cmp` table.
 */
import type { CompositeComponentQuery, ValueQuery } from '@fhirstream/core';
import { COMPOSITE_COLUMNS } from './composite-rows.js';
import type { SqlParams, ValueSql } from './sql-params.js';
import { type Alternative, anyOf, TemplateParams } from './value-lists.js';

/** A plain value condition on alias `x.` as a condition on the `cmp` alias `a`. */
function renamed(c: ValueSql, a: string, cond: string): string {
  const columns = COMPOSITE_COLUMNS[c.table] ?? {};
  return cond.replace(/\bx\.([a-z_]+)/g, (_, col: string) => `${a}.${columns[col] ?? col}`);
}

/**
 * The OR of composite `values` as a predicate on the resource record alias `r`:
 * one query on the `cmp` table, each value an alternative condition on its
 * first component's row (values of one shape are bound together, see
 * `value-lists.ts`). `valueSql` translates a component with the parameters it is given.
 *
 * @example
 * ```ts
 * compositeSql(q, tables.composite, 'Observation', 'r', 'code-value-quantity', parsed.values, (t, v) => valueSql(t, undefined, v, now));
 * // "r.id IN (SELECT c1.id FROM … c1 WHERE c1.type = $3 AND c1.param = $4 AND c1.n = 0 AND ((…) AND (EXISTS (…))))"
 * ```
 */
export function compositeSql(
  q: SqlParams,
  table: string,
  type: string,
  r: string,
  code: string,
  values: ValueQuery[],
  valueSql: (q: SqlParams, v: CompositeComponentQuery) => ValueSql,
): string {
  const c0 = q.alias('c');
  const alternatives: Alternative[] = [];
  for (const v of values) {
    if (v.kind !== 'composite') continue;
    const t = new TemplateParams(c0);
    /** A row of component `n` in the same resource, parameter and repetition, matching `cond` of `c`'s kind. */
    const exists = (n: number, c: ValueSql, cond: string) => {
      const a = t.alias('c');
      return `EXISTS (SELECT 1 FROM ${table} ${a} WHERE ${a}.type = ${c0}.type AND ${a}.id = ${c0}.id
        AND ${a}.param = ${c0}.param AND ${a}.rep = ${c0}.rep AND ${a}.n = ${n} AND (${renamed(c, a, cond)}))`;
    };
    const conds: string[] = [];
    for (const [n, component] of v.components.entries()) {
      const c = valueSql(t, component);
      if (!c.negate) {
        conds.push(n === 0 ? renamed(c, c0, c.cond) : exists(n, c, c.cond));
        continue;
      }
      // A negation (`ne`): the component has a value, and it does not match.
      const within = c.within ?? 'TRUE';
      conds.push(n === 0 ? renamed(c, c0, within) : exists(n, c, within), `NOT ${exists(n, c, c.cond)}`);
    }
    alternatives.push({ parts: [conds.map((c) => `(${c})`).join(' AND ')], args: t.values });
  }
  if (alternatives.length === 0) return 'FALSE';
  const typeCond = type === '*' ? '' : `${c0}.type = ${q.p(type)} AND `;
  const { cond, from } = anyOf(q, alternatives);
  const where = `${typeCond}${c0}.param = ${q.p(code)} AND ${c0}.n = 0 AND (${cond})`;
  const tables = `${table} ${c0}${from && `, ${from}`}`;
  return type === '*'
    ? `(${r}.type, ${r}.id) IN (SELECT ${c0}.type, ${c0}.id FROM ${tables} WHERE ${where})`
    : `${r}.id IN (SELECT ${c0}.id FROM ${tables} WHERE ${where})`;
}
