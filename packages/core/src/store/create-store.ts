import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import { Subject } from 'rxjs';
import { FhirError } from '../errors/fhir-error.js';
import { type FollowOptions, followChanges } from '../stream/change-stream.js';
import { keyOf, type StoreBackend } from './backend.js';
import { type PlannedCommit, type PlannedOp, planCommit } from './commit-planner.js';
import { newResourceId } from './fhir-id.js';
import { ReadCache } from './read-cache.js';
import { prepareBody } from './resource-body.js';
import { StoredVersion } from './stored-version.js';
import type {
  ChangeEvent,
  CheckpointStore,
  CommitResult,
  HistoryQuery,
  ResourceKey,
  StoreCapabilities,
  StoredResource,
  WriteOp,
  WriteSet,
} from './types.js';
import { parseWriteSet } from './write-schema.js';

/**
 * The resource store as the rest of Fhirstream uses it: a backend wrapped by
 * core, which owns input validation, ids, versions, timestamps, preconditions
 * and change events, so that they never vary between backends.
 */
export interface ResourceStore {
  readonly capabilities: StoreCapabilities;
  /** Commit atomically and durably. Resolves only when every version and its change event are durable. */
  commit(writes: WriteSet | WriteOp[]): Promise<CommitResult>;
  /** The current version; a tombstone (`deleted: true`) when deleted; undefined when it never existed. */
  read(resourceType: string, id: string): Promise<StoredResource | undefined>;
  readVersion(resourceType: string, id: string, versionId: string): Promise<StoredResource | undefined>;
  /** Versions newest first: instance (`resourceType`+`id`), type (`resourceType`) or system history. */
  history(query?: HistoryQuery): AsyncIterable<StoredResource>;
  /** Up to `limit` events from `fromSeq` (inclusive), in order. */
  readChanges(fromSeq: number, limit?: number): Promise<ChangeEvent[]>;
  /** The log from `fromSeq` (inclusive) up to the head as it is while iterating. */
  changes(fromSeq?: number): AsyncIterable<ChangeEvent>;
  /** The log from `fromSeq` (inclusive), then live, with no gap and no duplicate. */
  changes$(fromSeq?: number, options?: FollowOptions): Observable<ChangeEvent>;
  /** Emits the last seq of each durable commit (a wake-up signal; read the log for the events). */
  readonly commits$: Observable<number>;
  /** The last committed seq (0 when empty). */
  headSeq(): Promise<number>;
  /**
   * A seq by which every write to `resourceTypes` is included: the last seq
   * this process committed for them (or the head at open). A reader waiting
   * for a projection to reach it sees all writes of those types without
   * waiting for unrelated ones. Falls back to the head without types, or once
   * another process is seen writing.
   */
  seqCovering(resourceTypes?: readonly string[]): Promise<number>;
  readonly checkpoints: CheckpointStore;
  /** Close the backend; further commits fail with `closed`. */
  close(): Promise<void>;
}

/** Options of {@link createStore}. */
export interface StoreOptions {
  /** The clock, in ms since the epoch (for tests). */
  now?: () => number;
  /**
   * Current versions kept in memory for reads (default 10,000; 0 turns it
   * off). Used only on backends written by one process, since every commit
   * here invalidates what it writes.
   */
  readCacheSize?: number;
}

/**
 * Wrap a backend into a {@link ResourceStore}.
 *
 * @example
 * ```ts
 * import { createStore } from '@fhirstream/core';
 * import { openLmdbBackend } from '@fhirstream/lmdb';
 *
 * const store = createStore(openLmdbBackend({ path: './.data' }));
 * const { results } = await store.commit([{ op: 'create', resource: { resourceType: 'Patient' } }]);
 * store.changes$(1).subscribe((e) => console.log(e.seq, e.action, `${e.resourceType}/${e.id}`));
 * ```
 */
export function createStore(backend: StoreBackend, options: StoreOptions = {}): ResourceStore {
  const now = options.now ?? Date.now;
  const commits = new Subject<number>();
  let closed = false;
  const openHead = backend.headSeq();
  const typeSeq = new Map<string, number>();
  const cacheSize = backend.capabilities.multiProcess ? 0 : (options.readCacheSize ?? 10_000);
  const cache = cacheSize > 0 ? new ReadCache(cacheSize) : undefined;
  let localHead = 0;
  let externalWriters = false;
  const unwatch = backend.watch?.((seq) => {
    if (seq > localHead) externalWriters = true;
    commits.next(seq);
  });

  const assertOpen = () => {
    if (closed) throw new FhirError('closed', 'The store is closed');
  };

  const store: ResourceStore = {
    capabilities: backend.capabilities,
    commits$: commits.asObservable(),
    checkpoints: backend.checkpoints,

    async commit(writes) {
      assertOpen();
      const writeSet = parseWriteSet(Array.isArray(writes) ? { ops: writes } : writes);
      const txId = writeSet.txId ?? randomUUID();
      const ops = writeSet.ops.map(toPlannedOp);
      const keys = uniqueKeys(ops);
      let planned: PlannedCommit | undefined;
      const plan = await backend.commit(keys, (input) => {
        planned = planCommit(ops, input, txId, now());
        return planned.plan;
      });
      const seq =
        plan.records.length > 0 ? plan.records[plan.records.length - 1]!.seq : await backend.headSeq();
      for (const r of plan.records) {
        if ((typeSeq.get(r.resourceType) ?? 0) < r.seq) typeSeq.set(r.resourceType, r.seq);
        cache?.delete(keyOf(r.resourceType, r.id));
      }
      if (seq > localHead) localHead = seq;
      if (plan.records.length > 0) commits.next(seq);
      const results = ops.map((op, i) => {
        const { outcome, record } = planned!.outcomes[i]!;
        const r = plan.records[record];
        return {
          outcome,
          resourceType: op.resourceType,
          id: op.id,
          ...(r ? { stored: new StoredVersion(r, r.body) } : {}),
        };
      });
      return { txId, seq, results };
    },

    async read(type, id) {
      if (!cache) return backend.read(type, id);
      const key = keyOf(type, id);
      const hit = cache.get(key);
      if (hit) return hit;
      const stored = await backend.read(type, id);
      if (stored) cache.set(key, stored);
      return stored;
    },
    readVersion: (type, id, vid) => backend.readVersion(type, id, vid),
    history: (query = {}) => backend.history(query),
    readChanges: (fromSeq, limit = 1000) => backend.readChanges(Math.max(1, fromSeq), limit),
    async *changes(fromSeq = 1) {
      let next = Math.max(1, fromSeq);
      for (;;) {
        const batch = await backend.readChanges(next, 1000);
        yield* batch;
        if (batch.length < 1000) return;
        next = batch[batch.length - 1]!.seq + 1;
      }
    },
    changes$: (fromSeq = 1, followOptions) => followChanges(store, fromSeq, followOptions),
    headSeq: () => backend.headSeq(),
    async seqCovering(resourceTypes) {
      // With several writer processes, another one may have written a type a moment ago: use the head.
      if (!resourceTypes || externalWriters || backend.capabilities.multiProcess) return backend.headSeq();
      let seq = await openHead;
      for (const type of resourceTypes) seq = Math.max(seq, typeSeq.get(type) ?? 0);
      return seq;
    },

    async close() {
      if (closed) return;
      closed = true;
      unwatch?.();
      commits.complete();
      await backend.close();
    },
  };
  return store;
}

function toPlannedOp(op: WriteOp): PlannedOp {
  switch (op.op) {
    case 'create': {
      const id = op.id ?? newResourceId();
      return {
        op: 'create',
        resourceType: op.resource.resourceType,
        id,
        body: prepareBody(op.resource),
        assignedId: !op.id,
      };
    }
    case 'update':
      return {
        op: 'update',
        resourceType: op.resource.resourceType,
        id: op.resource.id,
        body: prepareBody(op.resource),
        ...(op.ifMatch !== undefined ? { ifMatch: op.ifMatch } : {}),
        ...(op.mustExist ? { mustExist: true } : {}),
      };
    case 'delete':
      return {
        op: 'delete',
        resourceType: op.resourceType,
        id: op.id,
        ...(op.ifMatch !== undefined ? { ifMatch: op.ifMatch } : {}),
      };
  }
}

function uniqueKeys(ops: readonly PlannedOp[]): ResourceKey[] {
  const seen = new Set<string>();
  const keys: ResourceKey[] = [];
  for (const op of ops) {
    const key = keyOf(op.resourceType, op.id);
    if (seen.has(key)) {
      throw new FhirError('invalid', `${key} appears more than once in one commit`);
    }
    seen.add(key);
    keys.push({ resourceType: op.resourceType, id: op.id });
  }
  return keys;
}
