import { createHash } from 'node:crypto';
import type { WriteResult } from '@fhirstream/core';
import type { LmdbBackend } from '../lmdb-backend.js';
import { type LmdbProjector, lmdbProjector } from '../lmdb-projector.js';

/**
 * What the crash writer (a child process) and the crash test (its parent)
 * share: the stdout line protocol, the content hash, and the projector.
 */

/** Name of the counting projector; its runtime state lives under `projector/<name>`. */
export const COUNTER_PROJECTOR = 'crash-counter';

/** One op of an acknowledged commit, as the child saw it resolve. */
export interface AckedOp {
  resourceType: string;
  id: string;
  outcome: WriteResult['outcome'];
  /** Absent for `noop`. */
  versionId?: string;
  /** Absent for `noop`. */
  seq?: number;
  /** {@link contentHash} of the resource the child asked to write (create/update only). */
  hash?: string;
}

/** `ACK <json>`: a commit that resolved. */
export interface AckLine {
  txId: string;
  seq: number;
  ops: AckedOp[];
}

/** `NACK <json>`: a commit rejected as a whole (a deliberate stale `ifMatch`). */
export interface NackLine {
  txId: string;
  ops: Array<{
    op: 'create' | 'update' | 'delete';
    resourceType: string;
    id: string;
    /** The id was new to this commit (never used before or after): the resource must not exist at all. */
    fresh: boolean;
  }>;
}

/**
 * Hash of a resource's content, ignoring what the store stamps on it
 * (`meta.versionId`, `meta.lastUpdated`) and key order. The child hashes what it
 * asks to write (with its id); the parent hashes the stored body: equal iff the
 * content is exactly the one written.
 *
 * @example
 * ```ts
 * contentHash({ resourceType: 'Patient', id: 'p1', active: true });
 * ```
 */
export function contentHash(resource: object): string {
  const { meta, ...rest } = resource as { meta?: Record<string, unknown> } & Record<string, unknown>;
  const copy: Record<string, unknown> = rest;
  if (meta) {
    const { versionId: _v, lastUpdated: _l, ...metaRest } = meta;
    if (Object.keys(metaRest).length > 0) copy.meta = metaRest;
  }
  return createHash('sha1').update(canonicalJson(copy)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A deliberately NON-idempotent projection: per event it sets `applied:<seq>`
 * to its previous value + 1 and adds 1 to `total`. Applied twice, an event shows
 * as `applied:<seq>` = 2 and `total` > the number of events. It is exact only
 * because `lmdbProjector` commits these writes and the checkpoint in one LMDB
 * transaction.
 *
 * @example
 * ```ts
 * const counter = counterProjector(backend);
 * await runtime.register(counter);
 * counter.db().get('total');
 * ```
 */
export function counterProjector(backend: LmdbBackend): LmdbProjector<number, string> {
  return lmdbProjector<number, string>(backend, {
    name: COUNTER_PROJECTOR,
    version: 1,
    project: (batch) => (db) => {
      for (const e of batch) {
        const key = `applied:${e.seq}`;
        db.put(key, (db.get(key) ?? 0) + 1);
      }
      db.put('total', (db.get('total') ?? 0) + batch.length);
    },
  });
}
