/**
 * Matching one write against the indexed subscriptions: candidates from the
 * index, each topic's triggers evaluated once per write (the previous
 * version read from the store only when a candidate's topic needs it), then
 * the candidates' filters.
 */
import type { ChangeEvent, ResourceStore, SearchParameterRegistry } from '@fhirstream/core';
import { matchesFilter, ResourceValues } from './criteria.js';
import type { IndexEntry, SubscriptionIndex } from './subscription-index.js';

/** Counters of the matcher (to check that matching stays proportional to matches). */
export interface MatchStats {
  /** Writes looked at. */
  writes: number;
  /** Candidate subscriptions evaluated in full. */
  evaluated: number;
  /** Matches. */
  matched: number;
}

/**
 * Match one change event; returns the matching index entries.
 *
 * @example
 * ```ts
 * const stats = { writes: 0, evaluated: 0, matched: 0 };
 * const entries = await matchEvent(event, index, store, registry, stats);
 * ```
 */
export async function matchEvent(
  e: ChangeEvent,
  index: SubscriptionIndex,
  store: ResourceStore,
  registry: SearchParameterRegistry,
  stats: MatchStats,
): Promise<IndexEntry[]> {
  if (!index.has(e.resourceType)) return [];
  stats.writes++;
  const current = e.resource as { resourceType: string } | undefined;
  let previous: { resourceType: string } | undefined;
  let previousRead = false;
  const readPrevious = async () => {
    if (!previousRead) {
      previousRead = true;
      const vid = Number(e.versionId);
      if (vid > 1)
        previous = (await store.readVersion(e.resourceType, e.id, String(vid - 1)))
          ?.resource as typeof previous;
    }
    return previous;
  };
  // Filters look at the resource as it is after the write, or as it was before a delete.
  const values = new ResourceValues(current ?? (await readPrevious()), registry);
  if (!values.resource) return [];
  const candidates = index.candidates(e.resourceType, values);
  if (candidates.length === 0) return [];
  const fired = new Map<string, boolean>();
  const out: IndexEntry[] = [];
  for (const entry of candidates) {
    if (e.seq <= entry.createdSeq) continue;
    stats.evaluated++;
    const { topic } = entry.sub;
    let fires = fired.get(topic.definition.url);
    if (fires === undefined) {
      const prev = topic.needsPrevious(e.resourceType) ? await readPrevious() : undefined;
      fires = topic.fires(e.resourceType, e.action, current, prev);
      fired.set(topic.definition.url, fires);
    }
    if (!fires) continue;
    const filters = entry.filtersByType.get(e.resourceType) ?? entry.filtersByType.get('*') ?? [];
    if (filters.every((f) => matchesFilter(f, values))) {
      stats.matched++;
      out.push(entry);
    }
  }
  return out;
}
