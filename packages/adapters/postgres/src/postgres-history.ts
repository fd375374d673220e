import type { HistoryQuery, StoredVersion } from '@fhirstream/core';
import type { Pool } from 'pg';
import type { StoreTables } from './sql-names.js';
import { toStoredVersion, VERSION_COLUMNS, type VersionRow } from './version-rows.js';

/** Versions fetched per round trip while iterating history. */
const PAGE_SIZE = 500;

/**
 * History newest first, read in pages by descending seq: instance history on
 * `(resource_type, id, version_id)`, type history on `(resource_type, seq)`,
 * system history on the `seq` primary key. `lastUpdated` is non-decreasing
 * in seq, so a `_since` bound ends the scan at the first older version
 * instead of being a filter PostgreSQL would apply to the whole table.
 *
 * @example
 * ```ts
 * for await (const v of postgresHistory(pool, tables, { resourceType: 'Patient', count: 10 })) {
 *   console.log(v.id, v.versionId);
 * }
 * ```
 */
export async function* postgresHistory(
  pool: Pool,
  t: StoreTables,
  query: HistoryQuery,
): AsyncGenerator<StoredVersion> {
  let remaining = query.count ?? Number.POSITIVE_INFINITY;
  let before = query.before ?? Number.MAX_SAFE_INTEGER;
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.resourceType !== undefined) {
    params.push(query.resourceType);
    where.push(`resource_type = $${params.length}`);
    if (query.id !== undefined) {
      params.push(query.id);
      where.push(`id = $${params.length}`);
    }
  }
  // Instance history walks the versions of one resource (version order is seq order).
  const order = query.resourceType !== undefined && query.id !== undefined ? 'version_id DESC' : 'seq DESC';
  const cursorParam = params.length + 1;
  const limitParam = params.length + 2;
  where.push(`seq < $${cursorParam}`);
  const sql = `SELECT ${VERSION_COLUMNS} FROM ${t.log} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $${limitParam}`;

  while (remaining > 0) {
    const limit = Math.min(remaining, PAGE_SIZE);
    const { rows } = await pool.query<VersionRow>(sql, [...params, String(before), limit]);
    for (const row of rows) {
      if (query.since !== undefined && row.last_updated < query.since) return;
      yield toStoredVersion(row);
      remaining--;
    }
    if (rows.length < limit) return;
    before = Number(rows[rows.length - 1]!.seq);
  }
}
