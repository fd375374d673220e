/**
 * Chained parameters (`subject:Patient.gender=female`) on the LMDB search
 * index: the inner query gives the target ids, and the clause matches the
 * resources whose reference keys point at them.
 */
import type { SearchClause } from '@fhirstream/core';
import { HIGH } from './index-keys.js';
import { currentForwardReferences, type ForwardReferences, forwardReferences } from './index-stats.js';
import { COUNT_CAP, type Evaluator, evaluateClauses, type PlanContext } from './planner.js';
import { referencesOf } from './references.js';

/**
 * A chain (`subject:Patient.gender=female`): the inner query gives the target
 * ids; the clause's own matches are the resources referencing them. Its
 * estimate counts those references without collecting them (capped), and a
 * candidate is checked by extracting just the chained reference from it, so
 * a more selective clause elsewhere is evaluated first.
 */
export function chainEvaluator(
  ctx: PlanContext,
  type: string,
  clause: Extract<SearchClause, { kind: 'chain' }>,
): Evaluator {
  let inner: Promise<Array<{ type: string; ids: Set<string> }>> | undefined;
  const targets = () =>
    (inner ??= Promise.all(
      clause.targets.map(async (t) => ({
        type: t.resourceType,
        ids: await evaluateClauses(ctx, t.resourceType, [t.inner]),
      })),
    ));
  const rangeOf = (targetType: string, targetId: string) => {
    const prefix = ['r', type, clause.param.code, targetType, targetId];
    return { start: prefix, end: [...prefix, HIGH] };
  };
  let matches: Promise<Set<string>> | undefined;
  /** This search's view of the forward references (`null`: not built, check from the store). */
  let forward: ForwardReferences | null | undefined;
  const forwardRefs = () => (forward ??= forwardReferences(ctx.db, type, clause.param.code, 0) ?? null);
  /** The targets as `type/id`. */
  let wantedRefs: Set<string> | undefined;
  const wanted = async () => {
    if (!wantedRefs) {
      wantedRefs = new Set();
      for (const t of await targets()) for (const id of t.ids) wantedRefs.add(`${t.type}/${id}`);
    }
    return wantedRefs;
  };
  /** The targets by their number in the forward references. */
  let wantedNumbers: Uint8Array | undefined;
  /** The structure `wantedNumbers` numbers into (a write between two uses may bring a new one). */
  let wantedFor: ForwardReferences | undefined;
  const wantedIn = async (refs: ForwardReferences) => {
    if (wantedNumbers && wantedFor === refs) return wantedNumbers;
    const want = await wanted();
    const numbers = new Uint8Array(refs.targets.size);
    for (const ref of want) {
      const n = refs.targets.get(ref);
      if (n !== undefined) numbers[n] = 1;
    }
    wantedFor = refs;
    wantedNumbers = numbers;
    return numbers;
  };
  const refers = (refs: number | number[] | undefined, want: Uint8Array) =>
    refs !== undefined && (typeof refs === 'number' ? want[refs] === 1 : refs.some((r) => want[r] === 1));
  return {
    // A check reads one (usually cached) resource and extracts one parameter: cheap; with forward references, a lookup.
    checkCost: currentForwardReferences(ctx.db, type, clause.param.code) ? 1 : 4,
    deferEstimate: true,
    async estimate(limit = COUNT_CAP) {
      const current = currentForwardReferences(ctx.db, type, clause.param.code);
      if (current) {
        // Exact, from memory: the sources of each wanted target.
        const want = await wantedIn(current);
        let n = 0;
        for (let i = 0; i < want.length; i++) if (want[i] === 1) n += current.counts[i]!;
        return n;
      }
      const cap = Math.min(limit, COUNT_CAP);
      let n = 0;
      for (const t of await targets())
        for (const id of t.ids) {
          n += ctx.db.getCount({ ...rangeOf(t.type, id), limit: cap });
          // Beyond the limit: more than any candidate count it is compared with.
          if (n >= cap) return n + 1;
        }
      return n;
    },
    evaluate: () =>
      (matches ??= (async () => {
        const out = new Set<string>();
        for (const t of await targets())
          for (const id of t.ids)
            for (const source of ctx.ids.getKeys(rangeOf(t.type, id))) out.add(source as string);
        return out;
      })()),
    async check(id) {
      // The references of every resource, from the index (built once this pays; see `index-stats.ts`).
      const refs = forwardRefs();
      if (refs) return refers(refs.bySource.get(id), await wantedIn(refs));
      const want = await wanted();
      const stored = await ctx.store.read(type, id);
      if (!stored || stored.deleted) return false;
      return referencesOf(ctx.registry, stored, clause.param.code).some(([t, tid]) =>
        want.has(`${t}/${tid}`),
      );
    },
    async filter(candidates, t) {
      const refs = forwardRefs();
      const kept = new Set<string>();
      if (!refs) {
        for (const id of candidates) if (await this.check(id, t)) kept.add(id);
        return kept;
      }
      const want = await wantedIn(refs);
      for (const id of candidates) if (refers(refs.bySource.get(id), want)) kept.add(id);
      return kept;
    },
  };
}
