/**
 * The rows of composite search values in the `cmp` table: one extracted
 * composite value (one repetition of the composite's base element) gets a
 * `rep` number unique within its resource, and each of its components `n`
 * the rows it would write as a plain parameter, in the columns of its kind.
 * A search joins the components on `(type, id, param, rep)`, so all of them
 * match in the same repetition (see `composite-sql.ts`).
 */
import type { CompositeValue, IndexValue } from '@fhirstream/core';
import type { IndexRows } from './index-rows.js';

/**
 * param, rep, n (component index), then the value columns of the kinds:
 * token system, token value, string norm, date low, date high, number k, sys,
 * unit, value, reference ttype, tid, url, uri.
 */
export type CompositeRow = [
  param: string,
  rep: number,
  n: number,
  system: string | null,
  tvalue: string | null,
  norm: string | null,
  low: number | null,
  high: number | null,
  nk: string | null,
  nsys: string | null,
  unit: string | null,
  num: number | null,
  ttype: string | null,
  tid: string | null,
  url: string | null,
  uri: string | null,
];

/** Columns of the `cmp` table per plain table, by the plain column names the value conditions use. */
export const COMPOSITE_COLUMNS: Partial<Record<keyof IndexRows, Record<string, string>>> = {
  token: { system: 'system', value: 'tvalue' },
  string: { norm: 'norm' },
  date: { low: 'low', high: 'high' },
  number: { k: 'nk', sys: 'nsys', unit: 'unit', value: 'num' },
  reference: { ttype: 'ttype', tid: 'tid', url: 'url' },
  uri: { value: 'uri' },
};

/**
 * Where each plain table's value columns start in a {@link CompositeRow}, and
 * how many there are: after param, rep and n, in the order of
 * {@link COMPOSITE_COLUMNS}.
 */
const VALUE_SLOTS = (() => {
  const slots: Partial<Record<keyof IndexRows, [at: number, width: number]>> = {};
  let at = 3;
  for (const [table, columns] of Object.entries(COMPOSITE_COLUMNS) as Array<[keyof IndexRows, object]>) {
    const width = Object.keys(columns).length;
    slots[table] = [at, width];
    at += width;
  }
  return slots;
})();

/** A component's plain row (its first column is the param) as a composite row. */
function toRow(code: string, rep: number, n: number, table: keyof IndexRows, row: unknown[]): CompositeRow {
  const r = [code, rep, n, ...new Array<null>(13).fill(null)] as CompositeRow;
  const [at, width] = VALUE_SLOTS[table]!;
  for (let i = 0; i < width; i++) (r as unknown[])[at + i] = row[1 + i];
  return r;
}

/**
 * The rows of one composite value (none when a component writes no row: the
 * value can match no search).
 *
 * @example
 * ```ts
 * compositeRows('code-value-quantity', 0, value, plainRows);
 * // [['code-value-quantity', 0, 0, 'http://loinc.org', '8302-2', null, …], ['code-value-quantity', 0, 1, …, 'q', null, null, 150, …], …]
 * ```
 */
export function compositeRows(
  code: string,
  rep: number,
  v: CompositeValue,
  /** The rows the value would write as a plain parameter. */
  plainRows: (value: IndexValue) => IndexRows,
): CompositeRow[] {
  const out: CompositeRow[] = [];
  for (const [n, component] of v.components.entries()) {
    const rows = plainRows(component);
    const before = out.length;
    for (const table of Object.keys(COMPOSITE_COLUMNS) as Array<keyof IndexRows>)
      for (const row of rows[table]) out.push(toRow(code, rep, n, table, row));
    if (out.length === before) return [];
  }
  return out;
}
