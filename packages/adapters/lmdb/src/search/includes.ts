/**
 * `_include` and `_revinclude` (with `:iterate`) over the reference keys of
 * the search index. Results have no duplicates and never repeat a match.
 */
import type { IncludeSpec, SearchParameterRegistry, StoredResource } from '@fhirstream/core';
import type { Key } from 'lmdb';
import { HIGH } from './index-keys.js';
import { keysOf, type PlanContext } from './planner.js';
import { referencesOf } from './references.js';

/** Most `:iterate` rounds (a guard against pathological graphs). */
const MAX_ROUNDS = 8;

/**
 * The resources `_include` / `_revinclude` add to a page of matches.
 *
 * @example
 * ```ts
 * await includedResources(ctx, registry, page, [{ sourceType: 'Observation', param: 'subject', iterate: false }], []);
 * ```
 */
export async function includedResources(
  ctx: PlanContext,
  registry: SearchParameterRegistry,
  matches: StoredResource[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
): Promise<StoredResource[]> {
  if (include.length === 0 && revinclude.length === 0) return [];
  const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
  const out: StoredResource[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length > 0; round++) {
    const inc = round === 0 ? include : include.filter((s) => s.iterate);
    const rev = round === 0 ? revinclude : revinclude.filter((s) => s.iterate);
    if (inc.length === 0 && rev.length === 0) break;
    const wanted: Array<[string, string]> = [];
    for (const r of frontier) {
      for (const spec of inc) {
        if (spec.sourceType !== '*' && spec.sourceType !== r.resourceType) continue;
        if (spec.param !== '*') {
          // One named parameter: extract just its references from the resource in hand.
          for (const [type, id] of referencesOf(registry, r, spec.param)) {
            if (!spec.targetType || type === spec.targetType) wanted.push([type, id]);
          }
          continue;
        }
        for (const k of await keysOf(ctx, r.resourceType, r.id)) {
          if (k[0] !== 'r') continue;
          if (spec.targetType && k[3] !== spec.targetType) continue;
          wanted.push([k[3] as string, k[4] as string]);
        }
      }
      for (const spec of rev) {
        if (spec.targetType && spec.targetType !== r.resourceType) continue;
        for (const sourceType of spec.sourceType === '*' ? [] : [spec.sourceType]) {
          const codes =
            spec.param === '*'
              ? registry
                  .forType(sourceType)
                  .filter((p) => p.type === 'reference')
                  .map((p) => p.code)
              : [spec.param];
          for (const code of codes) {
            const prefix: Key[] = ['r', sourceType, code, r.resourceType, r.id];
            for (const id of ctx.ids.getKeys({ start: prefix, end: [...prefix, HIGH] }))
              wanted.push([sourceType, id as string]);
          }
        }
      }
    }
    const next: StoredResource[] = [];
    for (const [type, id] of wanted) {
      const k = `${type}/${id}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const stored = await ctx.store.read(type, id);
      if (!stored || stored.deleted) continue;
      out.push(stored);
      next.push(stored);
    }
    frontier = next;
  }
  return out;
}
