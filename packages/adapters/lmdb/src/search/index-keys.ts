/**
 * The key layout of the LMDB search index. Every entry is an ordered
 * composite key `[tag, resourceType, paramCode, ...value, id]` (value `1`),
 * so each parameter type answers its searches with range scans:
 *
 * | tag  | layout after `[tag, type, code]`     | answers                              |
 * |------|--------------------------------------|--------------------------------------|
 * | `t`  | system, code                         | `system|code`, `|code`, `system|`    |
 * | `tc` | code                                 | `code` (any system)                  |
 * | `tx` | normalized text (and each word tail) | `:text`                              |
 * | `to` | typeSystem, typeCode, value          | `:of-type`                           |
 * | `s`  | normalized string                    | default (starts-with), `:contains`   |
 * | `se` | exact string                         | `:exact`                             |
 * | `d`  | low, high                            | date prefixes bounded by low         |
 * | `dh` | high, low                            | date prefixes bounded by high        |
 * | `n`  | value                                | number                               |
 * | `q`  | value / `qs` system, code, value / `qu` unit, value / `qc` canonical code, value | quantity |
 * | `r`  | targetType, targetId                 | reference, chains, `_has`, includes  |
 * | `ru` | url                                  | absolute / unresolved references     |
 * | `ri` | system, value / `riv` value          | `:identifier`                        |
 * | `u`  | uri                                  | uri, `:below`, `:above`              |
 * | `p`  | (none)                               | `:missing`                           |
 *
 * Per resource, `['a', type, id]` holds a {@link ResourceRecord} (its sort
 * values and the seq its current life began, for stable paging) and
 * `['k', type, id]` the keys it wrote (to remove them on update/delete, and
 * to check a clause against one resource).
 */
import type { ExtractedParam, IndexValue } from '@fhirstream/core';
import { canonicalUcum, UCUM_SYSTEM } from '@fhirstream/core';
import type { Key } from 'lmdb';

/** Longest string kept in a key (LMDB keys are limited to ~2 KB). */
export const MAX_KEY_STRING = 240;
/** Greater than any key element (strings sort last in ordered-binary, this is the highest code point). */
export const HIGH = '\u{10FFFF}';
/** Dates are clamped to ±275,000 years so that open ranges stay finite numbers. */
export const DATE_MIN = -8.64e15;
export const DATE_MAX = 8.64e15;

/** The per-resource record at `['a', type, id]`. */
export interface ResourceRecord {
  /** The seq at which the resource's current life (create, or update after a delete) began. */
  c: number;
  /** The seq of the version indexed. */
  v: number;
  /** Sort values per parameter code: `[ascending key, descending key]`. */
  s: Record<string, [string | number, string | number]>;
}

const clip = (s: string) => (s.length > MAX_KEY_STRING ? s.slice(0, MAX_KEY_STRING) : s);
const clampDate = (n: number) => (n < DATE_MIN ? DATE_MIN : Math.min(n, DATE_MAX));

/**
 * The index keys and sort values of one resource.
 *
 * @example
 * ```ts
 * const { keys } = indexKeys('Patient', 'p1', [{ code: 'gender', type: 'token', values: [{ kind: 'token', code: 'male' }] }]);
 * // keys include ['t','Patient','gender','','male','p1'] and ['tc','Patient','gender','male','p1']
 * ```
 */
export function indexKeys(
  type: string,
  id: string,
  params: readonly ExtractedParam[],
): { keys: Key[][]; sort: ResourceRecord['s'] } {
  const keys: Key[][] = [];
  const seen = new Set<string>();
  const sort: ResourceRecord['s'] = {};
  const add = (key: Key[]) => {
    key.push(id);
    const s = JSON.stringify(key);
    if (!seen.has(s)) {
      seen.add(s);
      keys.push(key);
    }
  };
  for (const p of params) {
    if (p.values.length === 0) continue;
    add(['p', type, p.code]);
    for (const v of p.values) {
      addValueKeys(type, p.code, v, add);
      const sv = sortValue(v);
      if (sv === undefined) continue;
      const prev = sort[p.code];
      if (!prev) sort[p.code] = [sv[0], sv[1]];
      else {
        if (sv[0] < prev[0]) prev[0] = sv[0];
        if (sv[1] > prev[1]) prev[1] = sv[1];
      }
    }
  }
  return { keys, sort };
}

function addValueKeys(type: string, code: string, v: IndexValue, add: (key: Key[]) => void): void {
  switch (v.kind) {
    case 'token': {
      if (v.code !== undefined) {
        add(['t', type, code, v.system ?? '', clip(v.code)]);
        add(['tc', type, code, clip(v.code)]);
        if (v.typeSystem !== undefined || v.typeCode !== undefined)
          add(['to', type, code, v.typeSystem ?? '', v.typeCode ?? '', clip(v.code)]);
      } else if (v.system !== undefined) add(['t', type, code, v.system, '']);
      if (v.text) addWordTails(['tx', type, code], normalizeText(v.text), add);
      return;
    }
    case 'string':
      add(['s', type, code, clip(v.normalized)]);
      add(['se', type, code, clip(v.exact)]);
      return;
    case 'date':
      add(['d', type, code, clampDate(v.low), clampDate(v.high)]);
      add(['dh', type, code, clampDate(v.high), clampDate(v.low)]);
      return;
    case 'number':
      add(['n', type, code, v.value]);
      return;
    case 'quantity': {
      add(['q', type, code, v.value]);
      if (v.system !== undefined && v.code !== undefined) add(['qs', type, code, v.system, v.code, v.value]);
      if (v.code !== undefined) add(['qu', type, code, v.code, v.value]);
      if (v.unit !== undefined && v.unit !== v.code) add(['qu', type, code, v.unit, v.value]);
      const canonical =
        v.canonical ?? (v.system === UCUM_SYSTEM && v.code ? canonicalUcum(v.value, v.code) : undefined);
      if (canonical) add(['qc', type, code, canonical.code, canonical.value]);
      return;
    }
    case 'reference':
      if (v.type !== undefined && v.id !== undefined) add(['r', type, code, v.type, v.id]);
      if (v.url !== undefined) add(['ru', type, code, clip(v.url)]);
      if (v.identifier?.value !== undefined) {
        add(['ri', type, code, v.identifier.system ?? '', clip(v.identifier.value)]);
        add(['riv', type, code, clip(v.identifier.value)]);
      }
      return;
    case 'uri':
      add(['u', type, code, clip(v.value)]);
      if (v.version !== undefined) add(['u', type, code, clip(`${v.value}|${v.version}`)]);
      return;
    case 'composite':
      return;
  }
}

/** Lowercase, accents removed, whitespace collapsed (the text of `:text`). */
export function normalizeText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The text and the tail of it starting at each word, so a prefix scan finds a prefix of any word. */
function addWordTails(prefix: Key[], text: string, add: (key: Key[]) => void): void {
  if (!text) return;
  add([...prefix, clip(text)]);
  for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) {
    const tail = text.slice(i + 1);
    if (tail) add([...prefix, clip(tail)]);
  }
}

function sortValue(v: IndexValue): [string | number, string | number] | undefined {
  switch (v.kind) {
    case 'token': {
      const s = v.code ?? v.text;
      return s === undefined ? undefined : [s, s];
    }
    case 'string':
      return [v.normalized, v.normalized];
    case 'date':
      return [clampDate(v.low), clampDate(v.high)];
    case 'number':
      return [v.value, v.value];
    case 'quantity': {
      const n = v.canonical?.value ?? v.value;
      return [n, n];
    }
    case 'reference': {
      const s = v.type && v.id ? `${v.type}/${v.id}` : (v.url ?? v.identifier?.value);
      return s === undefined ? undefined : [s, s];
    }
    case 'uri':
      return [v.value, v.value];
    default:
      return undefined;
  }
}
