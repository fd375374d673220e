/**
 * Translation of parsed search values into key-range probes over the index
 * layout of `index-keys.ts`. A probe is a range `[start, end)` plus an
 * optional check of the key (for conditions a single range cannot express);
 * the last element of every key is the resource id.
 */
import {
  approximateDateRange,
  approximateNumberRange,
  canonicalQuantityQuery,
  type DateQuery,
  hasWordStartingWith,
  type NumberQuery,
  type QuantityQuery,
  type SearchPrefix,
  uriAncestors,
  type ValueQuery,
} from '@fhirstream/core';
import { compareKeys, type Key } from 'lmdb';
import { compositeProbes } from './composite.js';
import { HIGH, MAX_KEY_STRING, PRESENCE_TAGS } from './index-keys.js';

/** A range of index keys, with an optional check of each key in it. */
export interface Probe {
  start: Key[];
  end: Key[];
  accept?: (key: Key[]) => boolean;
  /**
   * A token code in any system: the range is every `t` key of the parameter
   * (`accept` keeps this code); scans expand it into one exact range per
   * system present.
   */
  anySystem?: string;
  /**
   * A `:text` prefix: the range is every `tx` key of the parameter; scans
   * expand it into one exact range per text with a word starting with it
   * (found through the shared `tw` keys).
   */
  textPrefix?: string;
}

/**
 * Probes whose union is the set of matching resources; `negate` means: every
 * resource of the type (or, with `within`, every resource with keys in
 * `within`) except those.
 */
export interface CompiledValue {
  probes: Probe[];
  negate: boolean;
  within?: Probe;
}

const clip = (s: string) => (s.length > MAX_KEY_STRING ? s.slice(0, MAX_KEY_STRING) : s);
/** Keys whose elements after `prefix` start with `prefix`'s elements exactly. */
const exact = (prefix: Key[]): Probe => ({ start: prefix, end: [...prefix, HIGH] });
/** Keys whose element at `prefix.length` is a string starting with `s`. */
const startsWith = (prefix: Key[], s: string): Probe => ({
  start: [...prefix, s],
  end: [...prefix, s + HIGH],
});

/**
 * The probes of one OR-alternative of a clause on `type`.`code`.
 *
 * @example
 * ```ts
 * compileValue('Patient', 'gender', undefined, { kind: 'token', code: 'male' });
 * // { probes: [{ start: ['t','Patient','gender'], end: [..., '\u{10FFFF}'], anySystem: 'male', accept }], negate: false }
 * ```
 */
export function compileValue(
  type: string,
  code: string,
  modifier: string | undefined,
  v: ValueQuery,
  now = Date.now(),
): CompiledValue {
  const base: Key[] = [type, code];
  const plain = (probes: Probe[]): CompiledValue => ({ probes, negate: false });
  switch (v.kind) {
    case 'missing':
      return { probes: PRESENCE_TAGS.map((tag) => exact([tag, ...base])), negate: v.missing };
    case 'token': {
      let probe: Probe;
      if (v.system === undefined) {
        const c = clip(v.code!);
        probe = { ...exact(['t', ...base]), accept: (k) => k[4] === c, anySystem: c };
      } else if (v.code === undefined) probe = exact(['t', ...base, v.system]);
      else probe = exact(['t', ...base, v.system, clip(v.code)]);
      return { probes: [probe], negate: modifier === 'not' };
    }
    case 'token-text': {
      const prefix = clip(v.text);
      return plain([
        {
          ...exact(['tx', ...base]),
          textPrefix: prefix,
          accept: (k) => hasWordStartingWith(String(k[3]), prefix),
        },
      ]);
    }
    case 'token-of-type':
      return plain([exact(['to', ...base, v.typeSystem, v.typeCode, clip(v.value)])]);
    case 'string':
      if (modifier === 'exact') return plain([exact(['se', ...base, clip(v.value)])]);
      if (modifier === 'contains') {
        const needle = v.normalized;
        return plain([{ ...exact(['s', ...base]), accept: (k) => String(k[3]).includes(needle) }]);
      }
      return plain([startsWith(['s', ...base], clip(v.normalized))]);
    case 'uri':
      if (modifier === 'below') return plain([startsWith(['u', ...base], clip(v.value))]);
      if (modifier === 'above')
        return plain(uriAncestors(v.value).map((u) => exact(['u', ...base, clip(u)])));
      return plain([exact(['u', ...base, clip(v.value)])]);
    case 'reference': {
      const probes = v.id !== undefined ? v.types.map((t) => exact(['r', ...base, t, v.id!])) : [];
      if (v.url !== undefined && v.id === undefined) probes.push(exact(['ru', ...base, clip(v.url)]));
      return plain(probes);
    }
    case 'reference-identifier':
      if (v.system !== undefined && v.value !== undefined)
        return plain([exact(['ri', ...base, v.system, clip(v.value)])]);
      if (v.value !== undefined) return plain([exact(['riv', ...base, clip(v.value)])]);
      return plain([exact(['ri', ...base, v.system ?? ''])]);
    case 'date':
      return dateProbes(base, v, now);
    case 'number':
      return numberProbes(['n', ...base], v);
    case 'quantity':
      return quantityProbes(base, v);
    case 'composite':
      return compositeProbes(type, code, v, now, compileValue);
    case 'text':
      return plain([]);
  }
}

function dateProbes(base: Key[], v: DateQuery, now: number): CompiledValue {
  const d: Key[] = ['d', ...base];
  const dh: Key[] = ['dh', ...base];
  const { low: pl, high: ph } = v;
  const eq: Probe = { start: [...d, pl], end: [...d, ph, HIGH], accept: (k) => (k[4] as number) <= ph };
  const one = (p: Probe): CompiledValue => ({ probes: [p], negate: false });
  switch (v.prefix) {
    case 'eq':
      return one(eq);
    case 'ne':
      return { probes: [eq], negate: true, within: exact(d) };
    case 'gt':
      return one({ start: [...dh, ph, HIGH], end: [...dh, HIGH] });
    case 'lt':
      return one({ start: d, end: [...d, pl] });
    // ge / le: some part of the value is at or after the start (at or before the end) of the search
    // value's range — as the subscription matcher, HAPI and Medplum read them (see docs/search-comparison.md).
    case 'ge':
      return one({ start: [...dh, pl], end: [...dh, HIGH] });
    case 'le':
      return one({ start: d, end: [...d, ph, HIGH] });
    case 'sa':
      return one({ start: [...d, ph, HIGH], end: [...d, HIGH] });
    case 'eb':
      return one({ start: dh, end: [...dh, pl] });
    case 'ap': {
      const [lo, hi] = approximateDateRange(pl, ph, now);
      return one({ start: d, end: [...d, hi, HIGH], accept: (k) => (k[4] as number) >= lo });
    }
  }
}

/** Probes for a number at position `prefix.length` of the key. */
function numberRange(
  prefix: Key[],
  p: SearchPrefix,
  value: number,
  low: number,
  high: number,
): CompiledValue {
  const one = (probe: Probe): CompiledValue => ({ probes: [probe], negate: false });
  const eq: Probe = { start: [...prefix, low], end: [...prefix, high] };
  switch (p) {
    case 'eq':
      return one(eq);
    case 'ne':
      return { probes: [eq], negate: true, within: exact(prefix) };
    case 'gt':
    case 'sa':
      return one({ start: [...prefix, value, HIGH], end: [...prefix, HIGH] });
    case 'lt':
    case 'eb':
      return one({ start: prefix, end: [...prefix, value] });
    case 'ge':
      return one({ start: [...prefix, value], end: [...prefix, HIGH] });
    case 'le':
      return one({ start: prefix, end: [...prefix, value, HIGH] });
    case 'ap': {
      const [lo, hi] = approximateNumberRange(value);
      return one({ start: [...prefix, lo], end: [...prefix, hi, HIGH] });
    }
  }
}

function numberProbes(prefix: Key[], v: NumberQuery): CompiledValue {
  return numberRange(prefix, v.prefix, v.value, v.low, v.high);
}

function quantityProbes(base: Key[], v: QuantityQuery): CompiledValue {
  if (v.system === undefined && v.code === undefined)
    return numberRange(['q', ...base], v.prefix, v.value, v.low, v.high);
  if (v.system === undefined) return numberRange(['qu', ...base, v.code!], v.prefix, v.value, v.low, v.high);
  const alternatives: CompiledValue[] = [];
  if (v.code !== undefined)
    alternatives.push(numberRange(['qs', ...base, v.system, v.code], v.prefix, v.value, v.low, v.high));
  const c = canonicalQuantityQuery(v);
  if (c) alternatives.push(numberRange(['qc', ...base, c.code], v.prefix, c.value, c.low, c.high));
  const first = alternatives[0];
  return {
    probes: alternatives.flatMap((a) => a.probes),
    negate: first?.negate ?? false,
    ...(first?.negate ? { within: exact(['q', ...base]) } : {}),
  };
}

/** Whether an index key falls in a probe's range and passes its check. */
export function inProbe(k: Key[], p: Probe): boolean {
  return compareFlat(k, p.start) >= 0 && compareFlat(k, p.end) < 0 && (!p.accept || p.accept(k));
}

/**
 * lmdb's `compareKeys` for keys of strings and numbers (index keys and probe
 * bounds), without its generic recursion: elements in order, a missing
 * element first, numbers before strings. Any other element falls back to
 * `compareKeys`.
 *
 * @example
 * ```ts
 * compareFlat(['d', 'Encounter', 'date', 5, 'x'], ['d', 'Encounter', 'date', 5]); // 1
 * ```
 */
export function compareFlat(a: Key[], b: Key[]): number {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return y === undefined ? 0 : -1;
    if (y === undefined) return 1;
    const tx = typeof x;
    const ty = typeof y;
    if ((tx !== 'string' && tx !== 'number') || (ty !== 'string' && ty !== 'number'))
      return compareKeys(a, b);
    if (tx !== ty) return tx === 'number' ? -1 : 1;
    if (x !== y) return (x as string | number) < (y as string | number) ? -1 : 1;
  }
}
