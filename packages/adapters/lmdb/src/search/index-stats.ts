/**
 * Structures derived from the search index by one scan of a key family, kept
 * in memory while the index does not change: each is cached per index
 * database and valid for one index high-water mark (every index transaction
 * raises it), so a write makes the next use rebuild it.
 *
 * A structure is built when its scan costs no more than what the caller
 * would scan without it, else on the second demand at the same high-water
 * mark (so that a write between every query never pays a scan per query
 * that the query itself would not have paid, more than once).
 */
import type { Key } from 'lmdb';
import { HIGH } from './index-keys.js';
import { highWater, type SearchIndexDb } from './index-writer.js';

/** A cost in index keys, or how to count it (only counted when a structure is not built yet). */
type Cost = number | (() => number);

interface Entry {
  hw: number;
  built: boolean;
  value: unknown;
}

const caches = new WeakMap<SearchIndexDb, Map<string, Entry>>();

/**
 * The structure `name` of `db`, built by `build` from one scan of `range`
 * (which may decline with `undefined`), or `undefined` when it is not worth
 * building yet.
 */
function derived<T>(
  db: SearchIndexDb,
  name: string,
  range: { start: Key[]; end: Key[] },
  alternativeCost: Cost,
  build: () => T | undefined,
): T | undefined {
  const hw = highWater(db);
  let entries = caches.get(db);
  if (!entries) {
    entries = new Map();
    caches.set(db, entries);
  }
  const entry = entries.get(name);
  if (entry?.hw === hw) {
    if (entry.built) return entry.value as T | undefined;
  } else if (
    db.getCount({ ...range, limit: MAX_ENTRIES }) >
    (typeof alternativeCost === 'number' ? alternativeCost : alternativeCost())
  ) {
    entries.set(name, { hw, built: false, value: undefined });
    return undefined;
  }
  const value = build();
  entries.set(name, { hw, built: true, value });
  return value;
}

/** The structure `name` of `db` if it is built and current (no demand recorded). */
function current<T>(db: SearchIndexDb, name: string): T | undefined {
  const entry = caches.get(db)?.get(name);
  if (!entry?.built) return undefined;
  return entry.hw === highWater(db) ? (entry.value as T) : undefined;
}

/** Cap of the structures' size (a family larger than this is not held in memory). */
const MAX_ENTRIES = 2_000_000;
/** Keys with the longest spans held apart (see {@link DateSpans}). */
const LONG_SPANS = 256;

/**
 * The spans of the date keys (`['d', type, code, low, high, id]`) of one
 * parameter: all but the (at most {@link LONG_SPANS}) longest have
 * `high − low ≤ short`, so a bound on `high` bounds `low`; the longest are
 * listed; and the resources with several values are listed with all of them.
 */
export interface DateSpans {
  short: number;
  long: Array<[low: number, high: number, id: string]>;
  multi: Map<string, Array<[low: number, high: number]>>;
}

/**
 * The {@link DateSpans} of `type`.`code`, or `undefined` when not worth
 * building (see the module comment; `alternativeCost` in index keys).
 */
export function dateSpans(
  db: SearchIndexDb,
  type: string,
  code: string,
  alternativeCost: Cost,
): DateSpans | undefined {
  const range = { start: ['d', type, code], end: ['d', type, code, HIGH] };
  return derived(db, `d\u0000${type}\u0000${code}`, range, alternativeCost, () => {
    const lows: number[] = [];
    const highs: number[] = [];
    const ids: string[] = [];
    const first = new Map<string, number>();
    const multi = new Map<string, Array<[number, number]>>();
    for (const key of db.getKeys(range)) {
      const k = key as Key[];
      const low = k[3] as number;
      const high = k[4] as number;
      const id = k[5] as string;
      const i = first.get(id);
      if (i === undefined) first.set(id, ids.length);
      else {
        const values = multi.get(id);
        if (values) values.push([low, high]);
        else
          multi.set(id, [
            [lows[i]!, highs[i]!],
            [low, high],
          ]);
      }
      lows.push(low);
      highs.push(high);
      ids.push(id);
      if (ids.length > MAX_ENTRIES) return undefined;
    }
    const spans = Float64Array.from(ids, (_, i) => highs[i]! - lows[i]!).sort();
    const short = spans.length > LONG_SPANS ? spans[spans.length - 1 - LONG_SPANS]! : 0;
    const long: DateSpans['long'] = [];
    for (let i = 0; i < ids.length; i++)
      if (highs[i]! - lows[i]! > short) long.push([lows[i]!, highs[i]!, ids[i]!]);
    return { short, long, multi };
  });
}

/**
 * The references of `type`.`code` by source id, from its
 * `['r', type, code, targetType, targetId, id]` keys: each target
 * (`targetType/targetId`) is numbered, and a source maps to its target's
 * number (an array when it has several).
 */
export interface ForwardReferences {
  targets: Map<string, number>;
  /** Each target's `[targetType, targetId]`, by its number. */
  names: Array<[string, string]>;
  /** How many sources reference each target, by its number. */
  counts: number[];
  bySource: Map<string, number | number[]>;
}

const forwardName = (type: string, code: string) => `r\u0000${type}\u0000${code}`;

/**
 * The {@link ForwardReferences} of `type`.`code`, or `undefined` when not
 * worth building (see the module comment; `alternativeCost` in index keys).
 */
export function forwardReferences(
  db: SearchIndexDb,
  type: string,
  code: string,
  alternativeCost: Cost,
): ForwardReferences | undefined {
  const range = { start: ['r', type, code], end: ['r', type, code, HIGH] };
  return derived(db, forwardName(type, code), range, alternativeCost, () => {
    const targets = new Map<string, number>();
    const names: Array<[string, string]> = [];
    const counts: number[] = [];
    const bySource = new Map<string, number | number[]>();
    let n = 0;
    let last = '';
    let target = -1;
    for (const key of db.getKeys(range)) {
      const k = key as Key[];
      const id = k[5] as string;
      // Keys are ordered by target: a new number whenever it changes.
      const ref = `${k[3] as string}/${k[4] as string}`;
      if (ref !== last) {
        last = ref;
        target = targets.get(ref) ?? targets.size;
        if (target === names.length) {
          names.push([k[3] as string, k[4] as string]);
          counts.push(0);
        }
        targets.set(ref, target);
      }
      counts[target]! += 1;
      const refs = bySource.get(id);
      if (refs === undefined) bySource.set(id, target);
      else if (typeof refs === 'number') bySource.set(id, [refs, target]);
      else refs.push(target);
      if (++n > MAX_ENTRIES) return undefined;
    }
    return { targets, names, counts, bySource };
  });
}

/** The {@link ForwardReferences} of `type`.`code` if built and current (recording no demand). */
export const currentForwardReferences = (db: SearchIndexDb, type: string, code: string) =>
  current<ForwardReferences>(db, forwardName(type, code));
