/**
 * The key ranges a probe stands for, scanned or counted: a token code in any
 * system becomes one exact range per system present (skip-scan), a `:text`
 * prefix one exact range per text with a word starting with it.
 */
import type { Key } from 'lmdb';
import { HIGH } from './index-keys.js';
import { COUNT_CAP, type PlanContext } from './planner.js';
import type { Probe } from './probes.js';

const expanded = new WeakMap<Probe, Probe[]>();

/**
 * The ranges to scan for a probe: a code in any system becomes one exact
 * range per system present (skip-scan), a `:text` prefix one exact range per
 * text with a word starting with it.
 */
export function ranges(ctx: PlanContext, p: Probe): Probe[] {
  let out = expanded.get(p);
  if (!out) {
    out = p.textPrefix !== undefined ? textRanges(ctx, p, p.textPrefix) : systemRanges(ctx, p);
    expanded.set(p, out);
  }
  return out;
}

/** `['tx', type, code]` → one range per text found under `['tw', type, code, prefix…]`. */
function textRanges(ctx: PlanContext, p: Probe, prefix: string): Probe[] {
  const base = p.start.slice(1);
  const texts = new Set<string>();
  for (const key of ctx.db.getKeys({ start: ['tw', ...base, prefix], end: ['tw', ...base, prefix + HIGH] }))
    texts.add((key as Key[])[4] as string);
  return [...texts].sort().map((t) => ({ start: ['tx', ...base, t], end: ['tx', ...base, t, HIGH] }));
}

function systemRanges(ctx: PlanContext, p: Probe): Probe[] {
  if (p.anySystem === undefined) return [p];
  const out: Probe[] = [];
  let start = p.start;
  for (;;) {
    let system: Key | undefined;
    for (const key of ctx.db.getKeys({ start, end: p.end, limit: 1 })) system = (key as Key[])[3];
    if (system === undefined) return out;
    const prefix = [...p.start, system, p.anySystem];
    // A composite's probe keeps its check of the other components.
    out.push({ start: prefix, end: [...prefix, HIGH], ...(p.accept ? { accept: p.accept } : {}) });
    start = [...p.start, system, HIGH];
  }
}

export function scanProbe(ctx: PlanContext, probe: Probe, into: Set<string>): void {
  for (const p of ranges(ctx, probe)) {
    if (!p.accept) {
      for (const id of ctx.ids.getKeys({ start: p.start, end: p.end })) into.add(id as string);
      continue;
    }
    for (const key of ctx.db.getKeys({ start: p.start, end: p.end })) {
      const k = key as Key[];
      if (p.accept(k)) into.add(k[k.length - 1] as string);
    }
  }
}

/**
 * Elements before the id in the keys of tags whose exact-value probes hold
 * one key per resource: `indexKeys` writes a parameter's identical keys once.
 */
const VALUE_ELEMENTS: Record<string, number> = {
  t: 5,
  r: 5,
  ri: 5,
  riv: 4,
  ru: 4,
  u: 4,
  se: 4,
  tx: 4,
  to: 6,
};

/** Whether every key in the range is `[...start, id]`: a count of keys is then a count of resources. */
export function oneKeyPerResource(p: Probe): boolean {
  const { start, end } = p;
  if (p.accept || start.length !== VALUE_ELEMENTS[start[0] as string]) return false;
  if (end.length !== start.length + 1 || end[start.length] !== HIGH) return false;
  return start.every((e, i) => e === end[i]);
}

export function countProbe(ctx: PlanContext, probe: Probe): number {
  let n = 0;
  for (const p of ranges(ctx, probe)) n += ctx.db.getCount({ start: p.start, end: p.end, limit: COUNT_CAP });
  return n;
}
