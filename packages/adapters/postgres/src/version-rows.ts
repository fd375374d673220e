import { type ChangeAction, StoredVersion } from '@fhirstream/core';

/** The columns of a `log` row, in the shape {@link toStoredVersion} reads. */
export const VERSION_COLUMNS = 'seq, tx_id, action, resource_type, id, version_id, last_updated, body';

/** A `log` row as node-postgres returns it (`bigint` comes back as a string). */
export interface VersionRow {
  seq: string;
  tx_id: string;
  action: ChangeAction;
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  body: Buffer | null;
}

/**
 * A `log` row as a {@link StoredVersion}; the body is the stored bytes, as they are.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ${t.log} WHERE seq = 1`);
 * const version = toStoredVersion(rows[0]!);
 * ```
 */
export function toStoredVersion(row: VersionRow): StoredVersion {
  return new StoredVersion(
    {
      seq: Number(row.seq),
      txId: row.tx_id,
      action: row.action,
      resourceType: row.resource_type,
      id: row.id,
      versionId: String(row.version_id),
      lastUpdated: row.last_updated,
    },
    row.body ?? undefined,
  );
}

/**
 * The integer of a versionId as the store assigns them ('1', '2', …), or
 * undefined for anything else ('01', '1.0', '0', 'abc').
 *
 * @example
 * ```ts
 * parseVersionId('3'); // 3
 * parseVersionId('03'); // undefined
 * ```
 */
export function parseVersionId(versionId: string): number | undefined {
  const vid = Number(versionId);
  return Number.isSafeInteger(vid) && vid >= 1 && vid <= 2_147_483_647 && String(vid) === versionId
    ? vid
    : undefined;
}
