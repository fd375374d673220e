/**
 * `_include` and `_revinclude` (with `:iterate`) over the reference keys of
 * the search index; the rounds themselves are core's `includeRounds`.
 */
import {
  type IncludeSpec,
  includeRounds,
  type SearchParameterRegistry,
  type StoredResource,
} from '@fhirstream/core';
import type { Key } from 'lmdb';
import { HIGH } from './index-keys.js';
import { keysOf, type PlanContext } from './planner.js';
import { referencesOf } from './references.js';

/**
 * The resources `_include` / `_revinclude` add to a page of matches.
 *
 * @example
 * ```ts
 * await includedResources(ctx, registry, page, [{ sourceType: 'Observation', param: 'subject', iterate: false }], []);
 * ```
 */
export function includedResources(
  ctx: PlanContext,
  registry: SearchParameterRegistry,
  matches: StoredResource[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
): Promise<StoredResource[]> {
  return includeRounds(ctx.store, matches, include, revinclude, async (frontier, inc, rev) => {
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
        if (spec.sourceType === '*') continue;
        const codes =
          spec.param === '*'
            ? registry
                .forType(spec.sourceType)
                .filter((p) => p.type === 'reference')
                .map((p) => p.code)
            : [spec.param];
        for (const code of codes) {
          const prefix: Key[] = ['r', spec.sourceType, code, r.resourceType, r.id];
          for (const id of ctx.ids.getKeys({ start: prefix, end: [...prefix, HIGH] }))
            wanted.push([spec.sourceType, id as string]);
        }
      }
    }
    return wanted;
  });
}
