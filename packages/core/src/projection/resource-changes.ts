import type { ChangeEvent } from '../store/types.js';

/**
 * The events of a batch grouped by resource, each group in seq order — for
 * projections that write one row per resource however often it changed.
 *
 * @example
 * ```ts
 * for (const events of groupByResource(batch)) index(events[events.length - 1]);
 * ```
 */
export function groupByResource(batch: readonly ChangeEvent[]): ChangeEvent[][] {
  const byKey = new Map<string, ChangeEvent[]>();
  for (const e of batch) {
    const key = `${e.resourceType}/${e.id}`;
    const events = byKey.get(key);
    if (events) events.push(e);
    else byKey.set(key, [e]);
  }
  return [...byKey.values()];
}

/**
 * Where the resource's current life begins, seen from one batch: `lifeStart`
 * is the seq of its (re)creation in the batch, if any (a create, or the first
 * write after a delete); `createdHere` says no life before the batch is kept.
 * Search indexes use it for stable paging (rows whose life began after a
 * page's snapshot are hidden).
 *
 * @example
 * ```ts
 * lifeInBatch([deleteEvent, updateEvent]); // { lifeStart: updateEvent.seq, createdHere: true }
 * ```
 */
export function lifeInBatch(events: readonly ChangeEvent[]): { lifeStart?: number; createdHere: boolean } {
  let lifeStart: number | undefined;
  let deletedHere = false;
  for (const e of events) {
    if (e.action === 'delete') {
      deletedHere = true;
      lifeStart = undefined;
    } else if (lifeStart === undefined && (deletedHere || e.action === 'create')) lifeStart = e.seq;
  }
  const createdHere = events[0]?.action === 'create' || deletedHere;
  return lifeStart !== undefined ? { lifeStart, createdHere } : { createdHere };
}
