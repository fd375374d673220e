/**
 * Several date clauses on one parameter (`date=ge2015&date=lt2016`) answered
 * by one scan of the parameter's `d` keys (ordered by low, then high): each
 * clause bounds `low` directly (`d` probes) or through `high` (`dh` probes:
 * `low ≥ high − span`, with the span bounded by {@link DateSpans.short}), so
 * the scan covers the intersection of the clauses' windows instead of every
 * clause's whole range. A key in the window matches when it is in every
 * clause's probe; the keys with the longest spans and the resources with
 * several values (which may match each clause with a different value) are
 * checked in memory, so the result is exactly the intersection of the
 * clauses' own matches.
 */
import type { DateQuery, ParamClause } from '@fhirstream/core';
import type { Key } from 'lmdb';
import { HIGH } from './index-keys.js';
import { dateSpans } from './index-stats.js';
import { COUNT_CAP, type Evaluator, type PlanContext } from './planner.js';
import { compileValue, inProbe, type Probe } from './probes.js';

/**
 * One evaluator for date clauses on `type`.`code` (each a single, not
 * negated value), or `undefined` when they do not qualify or the spans of
 * the parameter are not worth deriving (see `index-stats.ts`). `each` are the
 * clauses' own evaluators, which check one candidate.
 */
export function dateWindowEvaluator(
  ctx: PlanContext,
  type: string,
  code: string,
  clauses: ParamClause[],
  each: Evaluator[],
): Evaluator | undefined {
  const probes: Probe[] = [];
  for (const c of clauses) {
    const compiled = compileValue(type, code, c.modifier, c.values[0] as DateQuery, ctx.now);
    const p = compiled.probes[0];
    if (compiled.negate || compiled.probes.length !== 1 || !p) return undefined;
    if ((p.start[0] !== 'd' && p.start[0] !== 'dh') || p.start[1] !== type || p.start[2] !== code)
      return undefined;
    probes.push(p);
  }
  // What the clauses would scan on their own (counted only when the spans are not built).
  const alternative = () =>
    probes.reduce((n, p) => n + ctx.db.getCount({ start: p.start, end: p.end, limit: COUNT_CAP }), 0);
  const spans = dateSpans(ctx.db, type, code, alternative);
  if (!spans) return undefined;

  const bound = (k: Key[], i: number) => (typeof k[i] === 'number' ? (k[i] as number) : undefined);
  let lowMin = Number.NEGATIVE_INFINITY;
  let lowMax = Number.POSITIVE_INFINITY;
  for (const p of probes) {
    const from = bound(p.start, 3) ?? Number.NEGATIVE_INFINITY;
    const to = bound(p.end, 3) ?? Number.POSITIVE_INFINITY;
    if (p.start[0] === 'd') {
      lowMin = Math.max(lowMin, from);
      lowMax = Math.min(lowMax, to);
    } else {
      // low ≥ high − span ≥ from − short (a margin for rounding), and low ≤ high ≤ to.
      const least = from - spans.short;
      lowMin = Math.max(lowMin, least - (Math.abs(least) + spans.short) * 2 ** -48 - 1);
      lowMax = Math.min(lowMax, to);
    }
  }
  const d: Key[] = ['d', type, code];
  const window =
    lowMin <= lowMax
      ? {
          start: Number.isFinite(lowMin) ? [...d, lowMin] : d,
          end: Number.isFinite(lowMax) ? [...d, lowMax, HIGH] : [...d, HIGH],
        }
      : undefined;
  const matches = (low: number, high: number, id: string, dKey?: Key[]) => {
    let dh: Key[] | undefined;
    for (const p of probes) {
      let k: Key[];
      if (p.start[0] === 'd') k = dKey ?? [...d, low, high, id];
      else {
        dh ??= ['dh', type, code, high, low, id];
        k = dh;
      }
      if (!inProbe(k, p)) return false;
    }
    return true;
  };

  let cached: Set<string> | undefined;
  return {
    estimate: () =>
      (window ? ctx.db.getCount({ ...window, limit: COUNT_CAP }) : 0) + spans.long.length + spans.multi.size,
    async evaluate() {
      if (cached) return cached;
      const out = new Set<string>();
      if (window)
        for (const key of ctx.db.getKeys(window)) {
          const k = key as Key[];
          if (matches(k[3] as number, k[4] as number, k[5] as string, k)) out.add(k[5] as string);
        }
      for (const [low, high, id] of spans.long) if (matches(low, high, id)) out.add(id);
      // Several values: each clause may match with another one.
      for (const [id, values] of spans.multi)
        if (
          probes.every((p) =>
            values.some(([low, high]) =>
              inProbe(p.start[0] === 'd' ? [...d, low, high, id] : ['dh', type, code, high, low, id], p),
            ),
          )
        )
          out.add(id);
      cached = out;
      return out;
    },
    async check(id, t) {
      for (const e of each) if (!(await e.check(id, t))) return false;
      return true;
    },
  };
}
