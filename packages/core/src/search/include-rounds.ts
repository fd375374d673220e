/**
 * The rounds of `_include` / `_revinclude` (search.html): round one follows
 * every spec from the page of matches, each later round only the `:iterate`
 * specs from what the round before added; a resource is added once and a
 * match never again. Engines supply how one round finds references.
 */
import type { ResourceStore } from '../store/create-store.js';
import type { StoredResource } from '../store/types.js';
import type { IncludeSpec } from './query/types.js';

/** Most `:iterate` rounds (a guard against pathological graphs). */
const MAX_ROUNDS = 8;

/**
 * One round: the `[type, id]` of the resources that `include` specs reach
 * from `frontier` and that reach it through `revinclude` specs.
 */
export type IncludeStep = (
  frontier: StoredResource[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
) => Promise<Array<[string, string]>>;

/**
 * The resources `_include` / `_revinclude` add to a page of matches.
 *
 * @example
 * ```ts
 * const included = await includeRounds(store, page, parsed.include, parsed.revinclude, async (frontier, inc) =>
 *   frontier.flatMap((r) => referencesFrom(r, inc)),
 * );
 * ```
 */
export async function includeRounds(
  store: ResourceStore,
  matches: StoredResource[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
  step: IncludeStep,
): Promise<StoredResource[]> {
  if (include.length === 0 && revinclude.length === 0) return [];
  const seen = new Set(matches.map((r) => `${r.resourceType}/${r.id}`));
  const out: StoredResource[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length > 0; round++) {
    const inc = round === 0 ? include : include.filter((s) => s.iterate);
    const rev = round === 0 ? revinclude : revinclude.filter((s) => s.iterate);
    if (inc.length === 0 && rev.length === 0) break;
    const fresh = (await step(frontier, inc, rev)).filter(([type, id]) => {
      const k = `${type}/${id}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const read = await Promise.all(fresh.map(([type, id]) => store.read(type, id)));
    const next = read.filter((r): r is StoredResource => r !== undefined && !r.deleted);
    out.push(...next);
    frontier = next;
  }
  return out;
}
