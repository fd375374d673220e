/**
 * `_include` and `_revinclude` (with `:iterate`) as follow-up queries on the
 * reference table; the rounds themselves are core's `includeRounds`.
 */
import { type IncludeSpec, includeRounds, type ResourceStore, type StoredResource } from '@fhirstream/core';
import type { Pool } from 'pg';
import type { SearchTables } from './search-tables.js';

/**
 * The resources `_include` / `_revinclude` add to a page of matches.
 *
 * @example
 * ```ts
 * await includedResources(pool, tables, store, page, [{ sourceType: 'Observation', param: 'subject', iterate: false }], []);
 * ```
 */
export function includedResources(
  pool: Pool,
  tables: SearchTables,
  store: ResourceStore,
  matches: StoredResource[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
): Promise<StoredResource[]> {
  return includeRounds(store, matches, include, revinclude, async (frontier, inc, rev) => {
    const wanted: Array<[string, string]> = [];
    const keys = [frontier.map((r) => r.resourceType), frontier.map((r) => r.id)];
    if (inc.length > 0) {
      const { rows } = await pool.query<{
        type: string;
        id: string;
        param: string;
        ttype: string;
        tid: string;
      }>(
        `SELECT x.type, x.id, x.param, x.ttype, x.tid FROM ${tables.reference} x
          WHERE (x.type, x.id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND x.ttype IS NOT NULL
          ORDER BY x.type, x.id, x.param, x.ttype, x.tid`,
        keys,
      );
      for (const spec of inc)
        for (const row of rows) {
          if (spec.sourceType !== '*' && spec.sourceType !== row.type) continue;
          if (spec.param !== '*' && spec.param !== row.param) continue;
          if (spec.targetType && spec.targetType !== row.ttype) continue;
          wanted.push([row.ttype, row.tid]);
        }
    }
    for (const spec of rev) {
      if (spec.sourceType === '*') continue;
      const params: unknown[] = [...keys, spec.sourceType];
      let where = `x.type = $3`;
      if (spec.param !== '*') where += ` AND x.param = $${params.push(spec.param)}`;
      if (spec.targetType) where += ` AND x.ttype = $${params.push(spec.targetType)}`;
      const { rows } = await pool.query<{ id: string }>(
        `SELECT DISTINCT x.id FROM ${tables.reference} x
          WHERE ${where} AND (x.ttype, x.tid) IN (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY x.id`,
        params,
      );
      for (const row of rows) wanted.push([spec.sourceType, row.id]);
    }
    return wanted;
  });
}
