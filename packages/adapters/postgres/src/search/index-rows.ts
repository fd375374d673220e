/**
 * The rows one resource version writes into the PostgreSQL search index: one
 * row per distinct value in the table of its kind (see `search-tables.ts`),
 * plus the resource record (sort values, present parameters, full text).
 */
import {
  canonicalUcum,
  type IndexValue,
  indexedParams,
  normalizeString,
  resourceText,
  type SearchParameterRegistry,
  UCUM_SYSTEM,
} from '@fhirstream/core';
import { type CompositeRow, compositeRows } from './composite-rows.js';

/** Longest string kept in an indexed column (queries clip the same way). */
export const MAX_INDEXED_STRING = 240;
/** Dates are clamped to ±275,000 years so that open ranges stay finite numbers. */
export const DATE_MIN = -8.64e15;
export const DATE_MAX = 8.64e15;
/** Longest full text indexed per resource (a tsvector is limited to 1 MB). */
const MAX_TEXT = 200_000;

/** Clip a string the way the index does. */
export const clip = (s: string) => (s.length > MAX_INDEXED_STRING ? s.slice(0, MAX_INDEXED_STRING) : s);
const clampDate = (n: number) => (n < DATE_MIN ? DATE_MIN : Math.min(n, DATE_MAX));

/** Rows of each index table for one resource, as column tuples without `(type, id)`. */
export interface IndexRows {
  /** param, system ('' = none), value ('' = system only), type system, type code (`:of-type`). */
  token: Array<[string, string, string, string | null, string | null]>;
  /** param, normalized text (full and each word tail), for token `:text`. */
  tokenText: Array<[string, string]>;
  /** param, normalized, exact. */
  string: Array<[string, string, string]>;
  /** param, low, high (ms). */
  date: Array<[string, number, number]>;
  /** param, kind (`n` number, `q` quantity, `s` system+code, `u` unit, `c` UCUM canonical), system, unit, value. */
  number: Array<[string, string, string | null, string | null, number]>;
  /** param, target type, target id, url, identifier system ('' = none), identifier value. */
  reference: Array<[string, string | null, string | null, string | null, string | null, string | null]>;
  /** param, uri. */
  uri: Array<[string, string]>;
  /** Composite values: one row per row of each component (see `composite-rows.ts`). */
  composite: CompositeRow[];
}

/** The resource record: sort values, present parameters and full text. */
export interface RecordRow {
  /** Per parameter: `[ascending key, descending key]` (min and max of its values). */
  sort: Record<string, [string | number, string | number]>;
  /** Codes of the parameters with at least one value (for `:missing`). */
  present: string[];
  /** Narrative text (`_text`), normalized. */
  text: string;
  /** All string content (`_content`), normalized. */
  content: string;
}

/**
 * The index rows and record of one resource version.
 *
 * @example
 * ```ts
 * const { rows, record } = indexRows(patient, 'p1', lastUpdated, registry);
 * rows.token; // [['gender', '', 'male', null, null], ['_id', '', 'p1', null, null]]
 * ```
 */
export function indexRows(
  resource: object,
  id: string,
  lastUpdated: string,
  registry: SearchParameterRegistry,
): { rows: IndexRows; record: RecordRow } {
  const rows = emptyRows();
  const seen = new Set<string>();
  const add = <T extends unknown[]>(list: T[], row: T, tag: string) => {
    const key = `${tag}\u0000${row.join('\u0000')}`;
    if (!seen.has(key)) {
      seen.add(key);
      list.push(row);
    }
  };
  const sort: RecordRow['sort'] = {};
  const present: string[] = [];
  for (const p of indexedParams(resource, id, lastUpdated, registry)) {
    if (p.values.length === 0) continue;
    present.push(p.code);
    for (const v of p.values) {
      addValueRows(rows, p.code, v, add);
      const sv = sortValue(v);
      if (sv === undefined) continue;
      const prev = sort[p.code];
      if (!prev) sort[p.code] = sv;
      else {
        if (sv[0] < prev[0]) prev[0] = sv[0];
        if (sv[1] > prev[1]) prev[1] = sv[1];
      }
    }
  }
  const { text, content } = fullTextOf(resource);
  return { rows, record: { sort, present, text, content } };
}

type Add = <T extends unknown[]>(list: T[], row: T, tag: string) => void;

function addValueRows(rows: IndexRows, code: string, v: IndexValue, add: Add): void {
  switch (v.kind) {
    case 'token': {
      if (v.code !== undefined) {
        const typed = v.typeSystem !== undefined || v.typeCode !== undefined;
        add(
          rows.token,
          [
            code,
            v.system ?? '',
            clip(v.code),
            typed ? (v.typeSystem ?? '') : null,
            typed ? (v.typeCode ?? '') : null,
          ],
          't',
        );
      } else if (v.system !== undefined) add(rows.token, [code, v.system, '', null, null], 't');
      if (v.text) addWordTails(rows, code, normalizeString(v.text), add);
      return;
    }
    case 'string':
      add(rows.string, [code, clip(v.normalized), clip(v.exact)], 's');
      return;
    case 'date':
      add(rows.date, [code, clampDate(v.low), clampDate(v.high)], 'd');
      return;
    case 'number':
      add(rows.number, [code, 'n', null, null, v.value], 'n');
      return;
    case 'quantity': {
      add(rows.number, [code, 'q', null, null, v.value], 'n');
      if (v.system !== undefined && v.code !== undefined)
        add(rows.number, [code, 's', v.system, v.code, v.value], 'n');
      if (v.code !== undefined) add(rows.number, [code, 'u', null, v.code, v.value], 'n');
      if (v.unit !== undefined && v.unit !== v.code)
        add(rows.number, [code, 'u', null, v.unit, v.value], 'n');
      const canonical =
        v.canonical ?? (v.system === UCUM_SYSTEM && v.code ? canonicalUcum(v.value, v.code) : undefined);
      if (canonical) add(rows.number, [code, 'c', null, canonical.code, canonical.value], 'n');
      return;
    }
    case 'reference': {
      const typed = v.type !== undefined && v.id !== undefined;
      const ident = v.identifier?.value !== undefined;
      if (!typed && v.url === undefined && !ident) return;
      add(
        rows.reference,
        [
          code,
          typed ? v.type! : null,
          typed ? v.id! : null,
          v.url !== undefined ? clip(v.url) : null,
          ident ? (v.identifier!.system ?? '') : null,
          ident ? clip(v.identifier!.value!) : null,
        ],
        'r',
      );
      return;
    }
    case 'uri':
      add(rows.uri, [code, clip(v.value)], 'u');
      if (v.version !== undefined) add(rows.uri, [code, clip(`${v.value}|${v.version}`)], 'u');
      return;
    case 'composite':
      // `rep`: unique within the resource (the rows only grow).
      for (const row of compositeRows(code, rows.composite.length, v, plainRows))
        add(rows.composite, row, 'c');
      return;
  }
}

function emptyRows(): IndexRows {
  return {
    token: [],
    tokenText: [],
    string: [],
    date: [],
    number: [],
    reference: [],
    uri: [],
    composite: [],
  };
}

/** The rows one (component) value writes as a plain parameter (param column `''`). */
function plainRows(v: IndexValue): IndexRows {
  const rows = emptyRows();
  addValueRows(rows, '', v, (list, row) => list.push(row));
  return rows;
}

/** The text and the tail of it starting at each word, so a prefix search finds a prefix of any word. */
function addWordTails(rows: IndexRows, code: string, text: string, add: Add): void {
  if (!text) return;
  add(rows.tokenText, [code, clip(text)], 'x');
  for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) {
    const tail = text.slice(i + 1);
    if (tail) add(rows.tokenText, [code, clip(tail)], 'x');
  }
}

/** `[ascending key, descending key]` of one value (a date sorts by its low ascending, by its high descending). */
function sortValue(v: IndexValue): [string | number, string | number] | undefined {
  const same = (x: string | number | undefined) =>
    x === undefined ? undefined : ([x, x] as [string | number, string | number]);
  switch (v.kind) {
    case 'token':
      return same(v.code ?? v.text);
    case 'string':
      return same(v.normalized);
    case 'date':
      return [clampDate(v.low), clampDate(v.high)];
    case 'number':
      return same(v.value);
    case 'quantity':
      return same(v.canonical?.value ?? v.value);
    case 'reference':
      return same(v.type && v.id ? `${v.type}/${v.id}` : (v.url ?? v.identifier?.value));
    case 'uri':
      return same(v.value);
    default:
      return undefined;
  }
}

/**
 * Narrative text (tags stripped) and every string value of a resource,
 * normalized like string search values.
 *
 * @example
 * ```ts
 * fullTextOf({ resourceType: 'Patient', text: { div: '<div>Hi <b>Bob</b></div>' }, name: [{ family: 'Smith' }] });
 * // { text: 'hi bob', content: 'hi bob smith' }
 * ```
 */
export function fullTextOf(resource: object): { text: string; content: string } {
  const { text, content } = resourceText(resource);
  return {
    text: normalizeString(text).slice(0, MAX_TEXT),
    content: normalizeString(content).slice(0, MAX_TEXT),
  };
}
