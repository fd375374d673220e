import {
  type CommitPlan,
  keyOf,
  type LogHead,
  type PlanInput,
  type ResourceHead,
  type ResourceKey,
  type VersionRecord,
} from '@fhirstream/core';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { StoreTables } from './sql-names.js';

/**
 * Commit one write set in ONE transaction, with seq order == commit order.
 *
 * Why a lock: a `sequence`/`serial` hands out numbers at INSERT time, but
 * transactions commit in any order, so a reader could see seq 11 committed
 * while 10 is still in flight, move past 10 and never see it. Instead, every
 * committer first locks the single `log_head` row (`SELECT … FOR UPDATE`),
 * then reads the heads of its keys (a new statement, so a snapshot taken
 * after the lock: it sees every earlier commit), lets the planner assign
 * seqs from the head, writes, moves the head and commits. PostgreSQL makes a
 * transaction visible before it releases its locks, so the next committer
 * can only assign seqs after every smaller seq is visible: readers always see
 * a gap-free prefix of the log. The lock also makes precondition checks
 * (If-Match, create-if-absent) race-free without locking the heads.
 *
 * The cost is that commits serialize, so the lock is held for as few round
 * trips as possible: lock (sent with BEGIN), read heads, ONE statement that
 * writes every version (`unnest` arrays; all bodies travel as one binary
 * bytea parameter, cut server-side), the heads (upsert), the log head and
 * the NOTIFY, then COMMIT. Batching many resources per commit is what makes
 * ingest fast.
 */
export async function commitLocked(
  pool: Pool,
  t: StoreTables,
  channel: string,
  keys: readonly ResourceKey[],
  plan: (input: PlanInput) => CommitPlan,
): Promise<CommitPlan> {
  const client = await pool.connect();
  let planError: { error: unknown } | undefined;
  try {
    const begin = (await client.query(
      `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT seq, last_updated FROM ${t.logHead} FOR UPDATE`,
    )) as unknown as QueryResult[];
    const headRow = begin[1]!.rows[0] as { seq: string; last_updated: string | null };
    const log: LogHead = { seq: Number(headRow.seq), lastUpdated: headRow.last_updated ?? undefined };
    const heads = await readHeads(client, t, keys);
    let planned: CommitPlan | undefined;
    try {
      planned = plan({ heads, log });
    } catch (error) {
      planError = { error };
    }
    if (planned && planned.records.length > 0) await writeRecords(client, t, channel, planned.records);
    await client.query(planned ? 'COMMIT' : 'ROLLBACK');
    client.release();
    if (planError) throw planError.error;
    return planned!;
  } catch (error) {
    if (planError?.error === error) throw error;
    await client.query('ROLLBACK').catch(() => {});
    // a client in an unknown state is destroyed, not returned to the pool
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

async function readHeads(
  client: PoolClient,
  t: StoreTables,
  keys: readonly ResourceKey[],
): Promise<Map<string, ResourceHead>> {
  const heads = new Map<string, ResourceHead>();
  if (keys.length === 0) return heads;
  const { rows } = await client.query<{
    resource_type: string;
    id: string;
    version_id: number;
    deleted: boolean;
    seq: string;
    last_updated: string;
  }>(
    `SELECT h.resource_type, h.id, h.version_id, h.deleted, h.seq, h.last_updated
       FROM ${t.heads} h JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id)
         ON h.resource_type = k.resource_type AND h.id = k.id`,
    [keys.map((k) => k.resourceType), keys.map((k) => k.id)],
  );
  for (const r of rows) {
    heads.set(keyOf(r.resource_type, r.id), {
      versionId: String(r.version_id),
      deleted: r.deleted,
      seq: Number(r.seq),
      lastUpdated: r.last_updated,
    });
  }
  return heads;
}

async function writeRecords(
  client: PoolClient,
  t: StoreTables,
  channel: string,
  records: readonly VersionRecord[],
): Promise<void> {
  const n = records.length;
  const seqs = new Array<string>(n);
  const txIds = new Array<string>(n);
  const actions = new Array<string>(n);
  const types = new Array<string>(n);
  const ids = new Array<string>(n);
  const vids = new Array<number>(n);
  const stamps = new Array<string>(n);
  const offsets = new Array<number>(n);
  const lengths = new Array<number>(n);
  const bodies: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    seqs[i] = String(r.seq);
    txIds[i] = r.txId;
    actions[i] = r.action;
    types[i] = r.resourceType;
    ids[i] = r.id;
    vids[i] = Number(r.versionId);
    stamps[i] = r.lastUpdated;
    offsets[i] = offset;
    lengths[i] = r.body ? r.body.length : -1;
    if (r.body) {
      bodies.push(r.body);
      offset += r.body.length;
    }
  }
  const last = records[n - 1]!;
  await client.query(
    `WITH r AS (
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                            $7::text[], $8::int[], $9::int[])
         AS r(seq, tx_id, action, resource_type, id, version_id, last_updated, off, len)
     ), versions AS (
       INSERT INTO ${t.log} (seq, tx_id, action, resource_type, id, version_id, last_updated, body)
       SELECT seq, tx_id, action, resource_type, id, version_id, last_updated,
              CASE WHEN len < 0 THEN NULL ELSE substring($10::bytea FROM off + 1 FOR len) END
         FROM r
     ), heads AS (
       INSERT INTO ${t.heads} (resource_type, id, version_id, deleted, seq, last_updated)
       SELECT resource_type, id, version_id, action = 'delete', seq, last_updated FROM r
       ON CONFLICT (resource_type, id) DO UPDATE
         SET version_id = EXCLUDED.version_id, deleted = EXCLUDED.deleted,
             seq = EXCLUDED.seq, last_updated = EXCLUDED.last_updated
     ), head AS (
       UPDATE ${t.logHead} SET seq = $11, last_updated = $12
     )
     SELECT pg_notify($13, $11::text)`,
    [
      seqs,
      txIds,
      actions,
      types,
      ids,
      vids,
      stamps,
      offsets,
      lengths,
      Buffer.concat(bodies, offset),
      String(last.seq),
      last.lastUpdated,
      channel,
    ],
  );
}
