/**
 * Query planning and evaluation over the LMDB search index. The clauses of
 * one type are ANDed: each is estimated cheaply (LMDB `getCount` over its key
 * ranges, capped), the most selective is evaluated into an id set, and the
 * others are intersected when they are small or checked per candidate against
 * its resource record otherwise. Chains and `_has` resolve their inner query
 * to ids first, then follow reference keys.
 */
import type { ParamClause, ResourceStore, SearchClause, SearchParameterRegistry } from '@fhirstream/core';
import type { Key } from 'lmdb';
import { chainEvaluator } from './chain.js';
import { dateWindowEvaluator } from './date-window.js';
import type { FullTextIndexes } from './full-text.js';
import type { IdKeysDb } from './id-keys.js';
import { HIGH, type ResourceRecord, resourceKeys } from './index-keys.js';
import { forwardReferences } from './index-stats.js';
import { countProbe, oneKeyPerResource, ranges, scanProbe } from './probe-ranges.js';
import { type CompiledValue, compileValue, inProbe, type Probe } from './probes.js';
import type { SearchIndexDb } from './search-projector.js';

/** Counting stops here: beyond it a clause is "large" anyway. */
export const COUNT_CAP = 50_000;
/**
 * Checking one candidate re-derives its keys (a store read and an
 * extraction), roughly this many times the cost of scanning one index key: a
 * clause is intersected unless it has this many times more keys than there
 * are candidates.
 */
const CHECK_COST = 64;

/** What evaluation needs. */
export interface PlanContext {
  db: SearchIndexDb;
  /** The same database, its keys read as the resource id they end with (for scans that collect ids). */
  ids: IdKeysDb;
  generation: number;
  fullText: FullTextIndexes;
  store: ResourceStore;
  /** The parameters the index was built with (to re-derive the keys of one resource). */
  registry: SearchParameterRegistry;
  /** Records read during this search, by `type/id`. */
  records: Map<string, ResourceRecord | undefined>;
  /** Index keys of resources read during this search, by `type/id`. */
  keys: Map<string, Key[][]>;
  /** Evaluators compiled during this search, by clause list and type (a count that falls back to evaluation reuses them). */
  compiled: WeakMap<SearchClause[], Map<string, Evaluator[]>>;
  now: number;
}

/** A compiled clause. */
export interface Evaluator {
  /**
   * An upper bound of the number of matches (cheap); counting may stop at
   * `limit` (the result is then at least `limit`).
   */
  estimate(limit?: number): number | Promise<number>;
  /** Estimate after the other clauses, with a limit derived from the smallest of them. */
  deferEstimate?: boolean;
  evaluate(): Promise<Set<string>>;
  /** Whether one resource matches (from its index keys). */
  check(id: string, type: string): Promise<boolean>;
  /** The candidates that match (as `check` on each, in one go). */
  filter?(candidates: Set<string>, type: string): Promise<Set<string>>;
  /** How many index entries scanning costs as much as one `check` (default {@link CHECK_COST}). */
  checkCost?: number;
  /** The exact number of matches when the index can count them without reading keys (else undefined). */
  count?(): number | undefined;
}

/**
 * The record of a resource in the index (cached per search).
 *
 * @example
 * ```ts
 * recordOf(ctx, 'Patient', 'p1')?.s.birthdate; // [low, high]
 * ```
 */
export function recordOf(ctx: PlanContext, type: string, id: string): ResourceRecord | undefined {
  const k = `${type}/${id}`;
  if (ctx.records.has(k)) return ctx.records.get(k);
  const r = ctx.db.get(['a', type, id]) as ResourceRecord | undefined;
  ctx.records.set(k, r);
  return r;
}

/** The index keys one resource wrote, re-derived from the version indexed (cached per search). */
export async function keysOf(ctx: PlanContext, type: string, id: string): Promise<Key[][]> {
  const k = `${type}/${id}`;
  let keys = ctx.keys.get(k);
  if (!keys) {
    keys = [];
    const record = recordOf(ctx, type, id);
    const stored = record && (await ctx.store.readVersion(type, id, record.vid));
    if (stored?.resource && !stored.deleted)
      keys = resourceKeys(type, id, stored.resource, stored.lastUpdated, ctx.registry);
    ctx.keys.set(k, keys);
  }
  return keys;
}

/** Every id of a type, in id order. */
export function allIds(ctx: PlanContext, type: string): string[] {
  const ids: string[] = [];
  for (const id of ctx.ids.getKeys({ start: ['a', type], end: ['a', type, HIGH] })) ids.push(id as string);
  return ids;
}

/** Number of resources of a type (capped). */
function typeCount(ctx: PlanContext, type: string): number {
  return ctx.db.getCount({ start: ['a', type], end: ['a', type, HIGH], limit: COUNT_CAP });
}

/** Resource types that have (or had) resources in the index. */
export function indexedTypes(ctx: PlanContext): string[] {
  const types: string[] = [];
  for (const key of ctx.db.getKeys({ start: ['ty'], end: ['ty', HIGH] }))
    types.push((key as Key[])[1] as string);
  return types;
}

/**
 * The negated values of an OR: `:not=a,b` (and `:not-in`) excludes every
 * resource with a or b, so plain negations are one exclusion of all their
 * probes; a negation bounded by `within` (`ne` prefixes) stays on its own.
 */
function combineNegations(values: CompiledValue[]): CompiledValue[] {
  const bounded = values.filter((v) => v.negate && v.within);
  const plain = values.filter((v) => v.negate && !v.within);
  if (plain.length === 0) return bounded;
  return [...bounded, { probes: plain.flatMap((v) => v.probes), negate: true }];
}

/** An OR of compiled values (some possibly negated). */
function valuesEvaluator(ctx: PlanContext, type: string, values: CompiledValue[]): Evaluator {
  const positive = values.filter((v) => !v.negate).flatMap((v) => v.probes);
  const negated = combineNegations(values);
  const matchesProbes = (probes: Probe[], keys: Key[][]) =>
    probes.some((probe) => ranges(ctx, probe).some((p) => keys.some((k) => inProbe(k, p))));
  let cached: Set<string> | undefined;
  return {
    count() {
      if (negated.length > 0 || positive.length !== 1) return undefined;
      const rs = ranges(ctx, positive[0]!);
      if (rs.length !== 1 || !oneKeyPerResource(rs[0]!)) return undefined;
      return ctx.db.getCount({ start: rs[0]!.start, end: rs[0]!.end });
    },
    estimate: () =>
      negated.length > 0 ? typeCount(ctx, type) : positive.reduce((n, p) => n + countProbe(ctx, p), 0),
    async evaluate() {
      if (cached) return cached;
      const out = new Set<string>();
      for (const p of positive) scanProbe(ctx, p, out);
      for (const v of negated) {
        const excluded = new Set<string>();
        for (const p of v.probes) scanProbe(ctx, p, excluded);
        let universe: Iterable<string> = allIds(ctx, type);
        if (v.within) {
          const within = new Set<string>();
          scanProbe(ctx, v.within, within);
          universe = within;
        }
        for (const id of universe) if (!excluded.has(id)) out.add(id);
      }
      cached = out;
      return out;
    },
    async check(id, t) {
      const keys = await keysOf(ctx, t, id);
      if (matchesProbes(positive, keys)) return true;
      return negated.some(
        (v) => (!v.within || matchesProbes([v.within], keys)) && !matchesProbes(v.probes, keys),
      );
    },
  };
}

/** A clause answered as a whole id set. */
function setEvaluator(compute: () => Promise<Set<string>>): Evaluator {
  let cached: Promise<Set<string>> | undefined;
  const get = () => (cached ??= compute());
  return {
    estimate: async () => (await get()).size,
    evaluate: get,
    check: async (id) => (await get()).has(id),
  };
}

function compileClause(ctx: PlanContext, type: string, clause: SearchClause): Evaluator {
  switch (clause.kind) {
    case 'param': {
      const { param, modifier, values } = clause;
      if (values[0]?.kind === 'text') {
        const field = param.code === '_text' ? 'text' : 'content';
        return setEvaluator(async () => {
          const out = new Set<string>();
          for (const v of values)
            if (v.kind === 'text')
              for (const id of ctx.fullText.search(ctx.db, ctx.generation, type, field, v.text)) out.add(id);
          return out;
        });
      }
      return valuesEvaluator(
        ctx,
        type,
        values.map((v) => compileValue(type, param.code, modifier, v, ctx.now)),
      );
    }
    case 'chain':
      return chainEvaluator(ctx, type, clause);
    case 'has':
      return setEvaluator(async () => {
        const out = new Set<string>();
        const sources = await evaluateClauses(ctx, clause.sourceType, [clause.inner]);
        const prefix: Key[] = ['r', clause.sourceType, clause.param.code, ...(type === '*' ? [] : [type])];
        const range = { start: prefix, end: [...prefix, HIGH] };
        // The sources' references from memory, once they are worth holding (see `index-stats.ts`).
        const refs = forwardReferences(
          ctx.db,
          clause.sourceType,
          clause.param.code,
          sources.size * CHECK_COST,
        );
        if (refs) {
          for (const sourceId of sources) {
            const targets = refs.bySource.get(sourceId);
            for (const n of typeof targets === 'number' ? [targets] : (targets ?? [])) {
              const [targetType, targetId] = refs.names[n]!;
              if (type === '*' || targetType === type) out.add(targetId);
            }
          }
        } else if (sources.size * CHECK_COST < ctx.db.getCount({ ...range, limit: COUNT_CAP })) {
          // Few sources: follow their own reference keys.
          for (const sourceId of sources) {
            for (const k of await keysOf(ctx, clause.sourceType, sourceId))
              if (k[0] === 'r' && k[2] === clause.param.code && (type === '*' || k[3] === type))
                out.add(k[4] as string);
          }
        } else {
          // Many: one scan of the parameter's references (`['r', source, code, target, targetId, sourceId]`).
          for (const key of ctx.db.getKeys(range)) {
            const k = key as Key[];
            if (sources.has(k[5] as string)) out.add(k[4] as string);
          }
        }
        return out;
      });
    case 'list':
      return setEvaluator(async () => {
        const out = new Set<string>();
        for (const listId of clause.lists) {
          const list = (await ctx.store.read('List', listId))?.resource as
            | { entry?: Array<{ item?: { reference?: string } }> }
            | undefined;
          for (const e of list?.entry ?? []) {
            const ref = e.item?.reference;
            if (ref?.startsWith(`${type}/`)) out.add(ref.slice(type.length + 1).split('/')[0]!);
          }
        }
        return out;
      });
    case 'compartment':
      return setEvaluator(async () => {
        const out = new Set<string>();
        for (const p of clause.params) {
          const prefix = ['r', type, p.code, clause.compartmentType, clause.id];
          for (const id of ctx.ids.getKeys({ start: prefix, end: [...prefix, HIGH] })) out.add(id as string);
        }
        if (type === clause.compartmentType && recordOf(ctx, type, clause.id)) out.add(clause.id);
        return out;
      });
  }
}

/**
 * The evaluators of ANDed clauses: date clauses on one parameter (each one
 * value, not negated) become one evaluator scanning their common window
 * when possible (`date-window.ts`); every other clause its own.
 */
function compileClauses(ctx: PlanContext, type: string, clauses: SearchClause[]): Evaluator[] {
  const out: Evaluator[] = [];
  const dates = new Map<string, ParamClause[]>();
  for (const c of clauses) {
    if (
      c.kind === 'param' &&
      c.param.type === 'date' &&
      c.modifier === undefined &&
      c.values.length === 1 &&
      c.values[0]!.kind === 'date' &&
      c.values[0]!.prefix !== 'ne'
    ) {
      const group = dates.get(c.param.code);
      if (group) group.push(c);
      else dates.set(c.param.code, [c]);
    } else out.push(compileClause(ctx, type, c));
  }
  for (const [code, group] of dates) {
    const each = group.map((c) => compileClause(ctx, type, c));
    const window = group.length > 1 ? dateWindowEvaluator(ctx, type, code, group, each) : undefined;
    if (window) out.push(window);
    else out.push(...each);
  }
  return out;
}

/** {@link compileClauses}, once per search for the same clause list and type. */
function compiledClauses(ctx: PlanContext, type: string, clauses: SearchClause[]): Evaluator[] {
  let byType = ctx.compiled.get(clauses);
  if (!byType) {
    byType = new Map();
    ctx.compiled.set(clauses, byType);
  }
  let evaluators = byType.get(type);
  if (!evaluators) {
    evaluators = compileClauses(ctx, type, clauses);
    byType.set(type, evaluators);
  }
  return evaluators;
}

/**
 * The number of resources of `type` matching `clauses` when the index can
 * count it without reading keys: one clause of one exact value (a token
 * `system|code`, a reference `Type/id`…). Undefined otherwise.
 *
 * @example
 * ```ts
 * countClauses(ctx, 'Observation', parsed.types[0].clauses); // 1243, or undefined
 * ```
 */
export function countClauses(ctx: PlanContext, type: string, clauses: SearchClause[]): number | undefined {
  if (clauses.length !== 1) return undefined;
  return compiledClauses(ctx, type, clauses)[0]?.count?.();
}

/**
 * The ids of `type` matching every clause, planned by selectivity.
 *
 * @example
 * ```ts
 * await evaluateClauses(ctx, 'Observation', parsed.types[0].clauses); // Set {'o1', 'o7'}
 * ```
 */
export async function evaluateClauses(
  ctx: PlanContext,
  type: string,
  clauses: SearchClause[],
): Promise<Set<string>> {
  if (clauses.length === 0) return new Set(allIds(ctx, type));
  const evaluators = compiledClauses(ctx, type, clauses);
  if (evaluators.length === 1) return evaluators[0]!.evaluate();
  const estimated = await Promise.all(
    evaluators.filter((e) => !e.deferEstimate).map(async (e) => ({ e, n: await e.estimate() })),
  );
  // Deferred estimates need not count beyond what makes them lose to the smallest clause.
  const least = Math.min(...estimated.map((x) => x.n));
  for (const e of evaluators)
    if (e.deferEstimate) estimated.push({ e, n: await e.estimate(least * (e.checkCost ?? CHECK_COST)) });
  estimated.sort((a, b) => a.n - b.n);
  let candidates = await estimated[0]!.e.evaluate();
  for (const { e, n } of estimated.slice(1)) {
    if (candidates.size === 0) break;
    if (n <= candidates.size * (e.checkCost ?? CHECK_COST)) {
      const other = await e.evaluate();
      candidates = new Set([...candidates].filter((id) => other.has(id)));
    } else if (e.filter) candidates = await e.filter(candidates, type);
    else {
      const kept = new Set<string>();
      for (const id of candidates) {
        if (await e.check(id, type)) kept.add(id);
      }
      candidates = kept;
    }
  }
  return candidates;
}
