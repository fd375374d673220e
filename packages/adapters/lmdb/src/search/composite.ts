/**
 * Probes of composite search values over the keys of `composite-keys.ts`. A
 * composite whose first component is a token is a range scan on that token
 * (like a plain token search, also by skip-scan when no system is given);
 * each key in the range is then checked for the other components against the
 * key tails stored in it, with the probes of each component's own type.
 */
import type { CompositeComponentQuery, CompositeQuery, ValueQuery } from '@fhirstream/core';
import { compareKeys, type Key } from 'lmdb';
import { COMPOSITE_ANY_TAG, COMPOSITE_TAG, type ComponentKeys, decodeRest } from './composite-keys.js';
import { HIGH } from './index-keys.js';
import type { CompiledValue, Probe } from './probes.js';

/** `compileValue` of `probes.ts` (passed in: it dispatches composites here). */
export type CompileValue = (
  type: string,
  code: string,
  modifier: string | undefined,
  v: ValueQuery,
  now: number,
) => CompiledValue;

const inProbe = (k: Key[], p: Probe) =>
  compareKeys(k, p.start) >= 0 && compareKeys(k, p.end) < 0 && (!p.accept || p.accept(k));

/** Whether one component's key tails match its compiled query (`negate`: has a value, none matching). */
function componentMatches(compiled: CompiledValue, tails: ComponentKeys | undefined): boolean {
  if (!tails) return false;
  // Rebuild plain keys `[tag, '', '', ...value, '']`: the probes were compiled for type '' and code ''.
  const keys = tails.map((t) => [t[0]!, '', '', ...t.slice(1), '']);
  const hit = (probes: Probe[]) => keys.some((k) => probes.some((p) => inProbe(k, p)));
  if (!compiled.negate) return hit(compiled.probes);
  return (!compiled.within || hit([compiled.within])) && !hit(compiled.probes);
}

/** A check of the components stored in a key's `rest` (at `restAt`) against `queries`. */
function restCheck(
  queries: CompositeComponentQuery[],
  restAt: number,
  compileValue: CompileValue,
  now: number,
): (key: Key[]) => boolean {
  const compiled = queries.map((q) => compileValue('', '', undefined, q, now));
  return (key) => {
    const rest = decodeRest(key[restAt] as string);
    return compiled.every((c, i) => componentMatches(c, rest[i]));
  };
}

/**
 * The probes of one composite value on `type`.`code`.
 *
 * @example
 * ```ts
 * compositeProbes('Observation', 'code-value-quantity', parsedValue, Date.now(), compileValue);
 * // { probes: [{ start: ['c','Observation','code-value-quantity','http://loinc.org','8302-2'], end: [..., HIGH], accept }], negate: false }
 * ```
 */
export function compositeProbes(
  type: string,
  code: string,
  v: CompositeQuery,
  now: number,
  compileValue: CompileValue,
): CompiledValue {
  const [first, ...others] = v.components;
  if (first?.kind === 'token') {
    // The token's own probe, moved from the `t` keys to the `c` keys (same positions).
    const token = compileValue(type, code, undefined, first, now).probes[0]!;
    const check = restCheck(others, 5, compileValue, now);
    const probe: Probe = {
      start: [COMPOSITE_TAG, ...token.start.slice(1)],
      end: [COMPOSITE_TAG, ...token.end.slice(1)],
      accept: token.accept ? (k) => token.accept!(k) && check(k) : check,
      ...(token.anySystem !== undefined ? { anySystem: token.anySystem } : {}),
    };
    return { probes: [probe], negate: false };
  }
  const prefix: Key[] = [COMPOSITE_ANY_TAG, type, code];
  return {
    probes: [
      { start: prefix, end: [...prefix, HIGH], accept: restCheck(v.components, 3, compileValue, now) },
    ],
    negate: false,
  };
}
