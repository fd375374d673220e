import type { HistoryQuery, StoredVersion } from '@fhirstream/core';
import type { LmdbDatabases } from './lmdb-backend.js';

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * History newest first, from the LMDB indexes: instance history from the
 * versions of one resource, type history from the per-type log index, system
 * history from the log itself. `lastUpdated` is non-decreasing in seq, so a
 * `_since` bound ends the scan instead of filtering it.
 */
export async function* lmdbHistory(
  dbs: LmdbDatabases,
  query: HistoryQuery,
  versionAt: (type: string, id: string, vid: number) => StoredVersion | undefined,
): AsyncGenerator<StoredVersion> {
  const before = query.before ?? MAX_SEQ;
  let remaining = query.count ?? Number.POSITIVE_INFINITY;
  if (remaining <= 0) return;
  const keep = (v: StoredVersion | undefined): 'yield' | 'skip' | 'stop' => {
    if (!v) return 'skip';
    if (query.since !== undefined && v.lastUpdated < query.since) return 'stop';
    return v.seq < before ? 'yield' : 'skip';
  };

  let candidates: Iterable<StoredVersion | undefined>;
  if (query.resourceType !== undefined && query.id !== undefined) {
    const { resourceType: type, id } = query;
    candidates = mapIterable(
      dbs.versions.getKeys({ start: [type, id, MAX_SEQ], end: [type, id, 0], reverse: true }),
      (key) => versionAt(type, id, key[2]),
    );
  } else if (query.resourceType !== undefined) {
    const type = query.resourceType;
    candidates = mapIterable(
      dbs.typeLog.getRange({ start: [type, before - 1], end: [type, 0], reverse: true }),
      ({ value }) => versionAt(type, value[0], value[1]),
    );
  } else {
    candidates = mapIterable(dbs.log.getRange({ start: before - 1, end: 0, reverse: true }), ({ value }) =>
      versionAt(value[0], value[1], value[2]),
    );
  }
  for (const v of candidates) {
    const verdict = keep(v);
    if (verdict === 'stop') return;
    if (verdict === 'skip') continue;
    yield v!;
    if (--remaining <= 0) return;
  }
}

function* mapIterable<T, U>(source: Iterable<T>, fn: (value: T) => U): Generator<U> {
  for (const value of source) yield fn(value);
}
