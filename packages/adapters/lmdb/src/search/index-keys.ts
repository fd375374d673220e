/**
 * The key layout of the LMDB search index. Every entry is an ordered
 * composite key `[tag, resourceType, paramCode, ...value, id]` (value `1`),
 * so each parameter type answers its searches with range scans:
 *
 * | tag  | layout after `[tag, type, code]`     | answers                              |
 * |------|--------------------------------------|--------------------------------------|
 * | `t`  | system, code                         | `system|code`, `|code`, `system|`, `code` (any system: one range per system, found by skip-scan) |
 * | `tx` | normalized text                      | `:text` (with `tw`)                  |
 * | `tw` | word tail, text (no id)              | `:text`: the texts with a word starting so |
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
 * | `c`  | system, code, rest / `cx` rest       | composites (see `composite-keys.ts`) |
 * | `p`  | (none)                               | `:missing`, only for a parameter with values but no other key |
 *
 * `tw` keys are shared by every resource with the same text of a parameter
 * and written once per text (stale ones are harmless: they lead to no `tx`
 * key); a `:text` search scans them for the texts with a word starting with
 * the query, then the `tx` keys of those texts.
 *
 * `:missing` is answered from the presence of any key of the parameter
 * ({@link PRESENCE_TAGS}), so a present parameter costs no extra key.
 *
 * Per resource, `['a', type, id]` holds a {@link ResourceRecord} (its sort
 * values, the seq its current life began, for stable paging, and the version
 * indexed). The keys a resource wrote are not stored: they are re-derived from
 * the indexed version in the store ({@link resourceKeys}) to remove them on
 * update/delete and to check a clause against one resource.
 */

import type { ExtractedParam, IndexValue, SearchParameterRegistry } from '@fhirstream/core';
import { canonicalUcum, indexedParams, UCUM_SYSTEM } from '@fhirstream/core';
import type { Key } from 'lmdb';
import { compositeKey } from './composite-keys.js';

/** Longest string kept in a key (LMDB keys are limited to ~2 KB). */
export const MAX_KEY_STRING = 240;
/** Greater than any key element (strings sort last in ordered-binary, this is the highest code point). */
export const HIGH = '\u{10FFFF}';
/** Dates are clamped to ±275,000 years so that open ranges stay finite numbers. */
export const DATE_MIN = -8.64e15;
export const DATE_MAX = 8.64e15;
/**
 * Tags of which at least one key exists for every present parameter (a
 * parameter with values that writes none of them gets a `p` key instead).
 */
export const PRESENCE_TAGS = ['t', 'tx', 's', 'd', 'n', 'q', 'r', 'ru', 'ri', 'u', 'c', 'cx', 'p'] as const;

/** The per-resource record at `['a', type, id]`. */
export interface ResourceRecord {
  /** The seq at which the resource's current life (create, or update after a delete) began. */
  c: number;
  /** The seq of the version indexed. */
  v: number;
  /** The versionId of the version indexed (its keys are re-derived from it). */
  vid: string;
  /** Sort values per parameter code: `[ascending key, descending key]`, or the one value when both are the same. */
  s: Record<string, SortValues>;
}

/** The sort values of one parameter in a {@link ResourceRecord}: one value, or `[ascending key, descending key]`. */
export type SortValues = string | number | [string | number, string | number];

/**
 * The key a resource sorts by on one parameter.
 *
 * @example
 * ```ts
 * sortKeyOf({ c: 1, v: 1, vid: '1', s: { date: [1, 5], code: 'x' } }, 'date', true); // 5
 * ```
 */
export function sortKeyOf(record: ResourceRecord, code: string, descending: boolean): string | number | null {
  const v = record.s[code];
  if (v === undefined) return null;
  return typeof v === 'object' ? v[descending ? 1 : 0] : v;
}

const clip = (s: string) => (s.length > MAX_KEY_STRING ? s.slice(0, MAX_KEY_STRING) : s);
const clampDate = (n: number) => (n < DATE_MIN ? DATE_MIN : Math.min(n, DATE_MAX));

/**
 * The index keys and sort values of one resource.
 *
 * @example
 * ```ts
 * const { keys } = indexKeys('Patient', 'p1', [{ code: 'gender', type: 'token', values: [{ kind: 'token', code: 'male' }] }]);
 * // keys include ['t','Patient','gender','','male','p1']
 * ```
 */
export function indexKeys(
  type: string,
  id: string,
  params: readonly ExtractedParam[],
): { keys: Key[][]; sort: ResourceRecord['s']; texts: TokenText[] } {
  const keys: Key[][] = [];
  const texts: TokenText[] = [];
  const seen = new Set<string>();
  const sort: ResourceRecord['s'] = {};
  /**
   * Add a key (the id appended) unless the resource has it already; whether
   * it was new. Keys of different parameters differ (they hold the code), and
   * so do the keys of one value: only a parameter with several values needs
   * the check.
   */
  let dedupe = false;
  const add = (key: Key[]): boolean => {
    if (dedupe) {
      // Elements are strings and numbers, each position of one kind per tag: a join is a faithful identity.
      const s = key.join('\u0000');
      if (seen.has(s)) return false;
      seen.add(s);
    }
    key.push(id);
    keys.push(key);
    return true;
  };
  for (const p of params) {
    if (p.values.length === 0) continue;
    dedupe = p.values.length > 1;
    if (dedupe) seen.clear();
    const before = keys.length;
    for (const v of p.values) {
      addValueKeys(type, p.code, v, add, texts);
      const sv = sortValue(v);
      if (sv !== undefined) sort[p.code] = widen(sort[p.code], sv);
    }
    if (keys.length === before) add(['p', type, p.code]);
  }
  return { keys, sort, texts };
}

/**
 * The index keys of one stored version (the same keys the projector wrote for it).
 *
 * @example
 * ```ts
 * const stored = await store.readVersion('Patient', 'p1', '2');
 * if (stored?.resource) resourceKeys(stored.resourceType, stored.id, stored.resource, stored.lastUpdated, registry);
 * ```
 */
export function resourceKeys(
  type: string,
  id: string,
  resource: object,
  lastUpdated: string,
  registry: SearchParameterRegistry,
): Key[][] {
  return indexKeys(type, id, indexedParams(resource, id, lastUpdated, registry)).keys;
}

/**
 * A parameter's sort values widened by one value's `[ascending, descending]`
 * keys; one value when the two are the same (smaller records).
 */
function widen(prev: SortValues | undefined, [asc, desc]: [string | number, string | number]): SortValues {
  if (prev === undefined) return asc === desc ? asc : [asc, desc];
  let [low, high] = typeof prev === 'object' ? prev : [prev, prev];
  if (asc < low) low = asc;
  if (desc > high) high = desc;
  return low === high ? low : [low, high];
}

/** A normalized token text of a parameter (its `tw` keys are shared, see {@link wordTailKeys}). */
export interface TokenText {
  type: string;
  code: string;
  text: string;
}

function addValueKeys(
  type: string,
  code: string,
  v: IndexValue,
  add: (key: Key[]) => boolean,
  texts: TokenText[],
): void {
  switch (v.kind) {
    case 'token': {
      if (v.code !== undefined) {
        add(['t', type, code, v.system ?? '', clip(v.code)]);
        if (v.typeSystem !== undefined || v.typeCode !== undefined)
          add(['to', type, code, v.typeSystem ?? '', v.typeCode ?? '', clip(v.code)]);
      } else if (v.system !== undefined) add(['t', type, code, v.system, '']);
      if (v.text) {
        const text = normalizeText(v.text);
        if (text) {
          if (add(['tx', type, code, clip(text)])) texts.push({ type, code, text });
        }
      }
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
    case 'composite': {
      const key = compositeKey(type, code, v, plainKeys);
      if (key) add(key);
      return;
    }
  }
}

/** The keys a (component) value writes as a plain parameter, without the id. */
function plainKeys(v: IndexValue): Key[][] {
  const out: Key[][] = [];
  addValueKeys('', '', v, (k) => out.push(k) > 0, []);
  return out;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const MULTI_SPACE = / {2,}/g;

/** Lowercase, accents removed, whitespace collapsed (the text of `:text`). */
export function normalizeText(text: string): string {
  // Printable ASCII has no accents to remove: skip the Unicode decomposition (most texts).
  if (PRINTABLE_ASCII.test(text)) return text.toLowerCase().replace(MULTI_SPACE, ' ').trim();
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The `tw` keys of a token text: the text and its tail starting at each word,
 * each followed by the text, so a prefix scan finds the texts with a word
 * starting with the prefix.
 *
 * @example
 * ```ts
 * wordTailKeys({ type: 'Observation', code: 'code', text: 'blood pressure' });
 * // [['tw','Observation','code','blood pressure','blood pressure'], ['tw','Observation','code','pressure','blood pressure']]
 * ```
 */
export function wordTailKeys({ type, code, text }: TokenText): Key[][] {
  const t = clip(text);
  const out: Key[][] = [['tw', type, code, t, t]];
  const seen = new Set([t]);
  for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) {
    const tail = clip(text.slice(i + 1));
    if (tail && !seen.has(tail)) {
      seen.add(tail);
      out.push(['tw', type, code, tail, t]);
    }
  }
  return out;
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
