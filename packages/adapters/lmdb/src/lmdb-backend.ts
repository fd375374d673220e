import {
  type ChangeAction,
  type CommitPlan,
  keyOf,
  type LogHead,
  type PlanInput,
  type ResourceHead,
  type ResourceKey,
  type StoreBackend,
  type StoreCapabilities,
  StoredVersion,
} from '@fhirstream/core';
import { type Database, open, type RootDatabase } from 'lmdb';
import { LmdbCheckpoints } from './lmdb-checkpoints.js';
import { lmdbHistory } from './lmdb-history.js';
import { decodeVersion, encodeVersion } from './version-codec.js';

/** Options of {@link openLmdbBackend}. */
export interface LmdbBackendOptions {
  /** Directory of the LMDB environment (created when missing). */
  path: string;
  /**
   * `flushed` (default): a commit is acknowledged once fsynced (survives an OS crash).
   * `committed`: once committed and visible (survives a process crash, not an OS crash).
   */
  durability?: 'flushed' | 'committed';
  /** Maximum size of the memory map in bytes (lmdb-js grows it as needed by default). */
  mapSize?: number;
}

/** heads: [type, id] → [versionNumber, deleted 0|1, seq, lastUpdated] */
type HeadValue = [number, 0 | 1, number, string];
/** log: seq → [type, id, versionNumber, action, lastUpdated, txId] */
type LogValue = [string, string, number, ChangeAction, string, string];
/** typeLog: [type, seq] → [id, versionNumber] */
type TypeLogValue = [string, number];

/** The LMDB databases of one environment, for projectors that write in the same environment. */
export interface LmdbDatabases {
  root: RootDatabase;
  heads: Database<HeadValue, [string, string]>;
  versions: Database<Buffer, [string, string, number]>;
  log: Database<LogValue, number>;
  typeLog: Database<TypeLogValue, [string, number]>;
  meta: Database<unknown, string>;
}

/** The LMDB backend, with access to its environment for co-located projectors. */
export interface LmdbBackend extends StoreBackend {
  /** The options it was opened with (a worker thread opens the same environment with them). */
  readonly options: LmdbBackendOptions;
  readonly dbs: LmdbDatabases;
  readonly checkpoints: LmdbCheckpoints;
  /** Resolves once every commit so far is flushed to disk. */
  flushed(): Promise<void>;
  /** `readVersion` without a promise (an LMDB read is synchronous), for co-located readers. */
  readVersionSync(resourceType: string, id: string, versionId: string): StoredVersion | undefined;
}

const CAPABILITIES: StoreCapabilities = {
  name: 'lmdb',
  durable: true,
  // One process writes an environment (the commit signal and conditional lock are in-process).
  multiProcess: false,
  transactionalCheckpoints: true,
};

/**
 * Open (or create) the embedded LMDB backend: current resources, versions,
 * change log and checkpoints in ONE environment, each commit in ONE LMDB
 * transaction (a built-in transactional outbox), durable before it resolves.
 *
 * @example
 * ```ts
 * import { createStore } from '@fhirstream/core';
 * import { openLmdbBackend } from '@fhirstream/lmdb';
 * const store = createStore(openLmdbBackend({ path: './.data' }));
 * ```
 */
export function openLmdbBackend(options: LmdbBackendOptions): LmdbBackend {
  const root = open({
    path: options.path,
    compression: false,
    ...(options.mapSize ? { mapSize: options.mapSize } : {}),
  });
  const dbs: LmdbDatabases = {
    root,
    heads: root.openDB({ name: 'heads' }),
    versions: root.openDB({ name: 'versions', encoding: 'binary' }),
    log: root.openDB({ name: 'log' }),
    typeLog: root.openDB({ name: 'typeLog' }),
    meta: root.openDB({ name: 'meta' }),
  };
  const checkpoints = new LmdbCheckpoints(root.openDB({ name: 'checkpoints' }));
  const durability = options.durability ?? 'flushed';

  const readLogHead = (): LogHead => {
    const head = dbs.meta.get('head') as [number, string] | undefined;
    return head ? { seq: head[0], lastUpdated: head[1] } : { seq: 0, lastUpdated: undefined };
  };

  /**
   * The stored bytes of a version, copied out of LMDB's shared read buffer into
   * a pooled Buffer (cheaper than `getBinary`'s fresh allocation per read).
   */
  const versionBytes = (type: string, id: string, vid: number): Buffer | undefined => {
    const shared = dbs.versions.getBinaryFast([type, id, vid]);
    if (!shared) return undefined;
    // lmdb-js may hand back its reusable global buffer: the value is its first `lastSize` bytes.
    const size = (dbs.versions as unknown as { lastSize: number }).lastSize;
    const copy = Buffer.allocUnsafe(size);
    copy.set(new Uint8Array(shared.buffer, shared.byteOffset, size));
    return copy;
  };

  const versionAt = (type: string, id: string, vid: number): StoredVersion | undefined => {
    const bytes = versionBytes(type, id, vid);
    if (!bytes) return undefined;
    const { header, body } = decodeVersion(bytes);
    return new StoredVersion({ ...header, resourceType: type, id, versionId: String(vid) }, body);
  };

  return {
    capabilities: CAPABILITIES,
    options,
    dbs,
    checkpoints,
    flushed: async () => {
      await root.flushed;
    },

    async commit(keys: readonly ResourceKey[], plan: (input: PlanInput) => CommitPlan): Promise<CommitPlan> {
      let failure: { error: unknown } | undefined;
      const result = await root.transaction(() => {
        const heads = new Map<string, ResourceHead>();
        for (const { resourceType, id } of keys) {
          const h = dbs.heads.get([resourceType, id]);
          if (h)
            heads.set(keyOf(resourceType, id), {
              versionId: String(h[0]),
              deleted: h[1] === 1,
              seq: h[2],
              lastUpdated: h[3],
            });
        }
        let planned: CommitPlan;
        try {
          planned = plan({ heads, log: readLogHead() });
        } catch (error) {
          failure = { error }; // nothing has been written in this callback
          return undefined;
        }
        for (const r of planned.records) {
          const vid = Number(r.versionId);
          dbs.versions.put([r.resourceType, r.id, vid], encodeVersion(r));
          dbs.heads.put([r.resourceType, r.id], [vid, r.action === 'delete' ? 1 : 0, r.seq, r.lastUpdated]);
          dbs.log.put(r.seq, [r.resourceType, r.id, vid, r.action, r.lastUpdated, r.txId]);
          dbs.typeLog.put([r.resourceType, r.seq], [r.id, vid]);
        }
        const last = planned.records[planned.records.length - 1];
        if (last) dbs.meta.put('head', [last.seq, last.lastUpdated]);
        return planned;
      });
      if (failure) throw failure.error;
      if (durability === 'flushed' && result && result.records.length > 0) await root.flushed;
      return result!;
    },

    async read(type, id) {
      const h = dbs.heads.get([type, id]);
      return h ? versionAt(type, id, h[0]) : undefined;
    },

    async readVersion(type, id, versionId) {
      return this.readVersionSync(type, id, versionId);
    },

    readVersionSync(type, id, versionId) {
      const vid = Number(versionId);
      if (!Number.isSafeInteger(vid) || vid < 1 || String(vid) !== versionId) return undefined;
      return versionAt(type, id, vid);
    },

    history: (query) => lmdbHistory(dbs, query, versionAt),

    async readChanges(fromSeq, limit) {
      const out: StoredVersion[] = [];
      for (const { key, value } of dbs.log.getRange({ start: fromSeq, limit })) {
        const [type, id, vid, action, lastUpdated, txId] = value;
        out.push(
          new StoredVersion(
            { seq: key, txId, action, resourceType: type, id, versionId: String(vid), lastUpdated },
            () => {
              const bytes = versionBytes(type, id, vid);
              return bytes ? decodeVersion(bytes).body : undefined;
            },
          ),
        );
      }
      return out;
    },

    async headSeq() {
      return readLogHead().seq;
    },

    async close() {
      await root.flushed;
      await root.close();
    },
  };
}
