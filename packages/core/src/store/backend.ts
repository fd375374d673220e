import type {
  ChangeAction,
  ChangeEvent,
  CheckpointStore,
  HistoryQuery,
  ResourceKey,
  StoreCapabilities,
  StoredResource,
} from './types.js';

/** The current version of a resource as the commit planner sees it. */
export interface ResourceHead {
  versionId: string;
  deleted: boolean;
  lastUpdated: string;
  seq: number;
}

/** The position of the last event in the log (seq 0 and no timestamp for an empty log). */
export interface LogHead {
  seq: number;
  lastUpdated: string | undefined;
}

/** What the planner is given, read inside the backend's write transaction. */
export interface PlanInput {
  /** Heads of the keys of the write set, by {@link keyOf}. Missing = never existed. */
  heads: Map<string, ResourceHead>;
  log: LogHead;
}

/** One version to persist, with its change event. `body` is undefined for a delete. */
export interface VersionRecord {
  seq: number;
  txId: string;
  action: ChangeAction;
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  body: Uint8Array | undefined;
}

/** The planner's output: the records to persist, in seq order (possibly none). */
export interface CommitPlan {
  txId: string;
  records: VersionRecord[];
}

/**
 * The role interface a storage backend implements. Backends only store and
 * read: core owns validation, versions, timestamps, preconditions and events
 * (see `createStore`).
 *
 * `commit` MUST, in one atomic transaction: read the heads of `keys` and the
 * log head, call `plan` synchronously with them, and persist every record of
 * the returned plan (the version, the resource's new head, and its change
 * event at `record.seq`). If `plan` throws, nothing is written and the error
 * is rethrown. The returned promise resolves only once the commit is durable.
 */
export interface StoreBackend {
  readonly capabilities: StoreCapabilities;
  commit(keys: readonly ResourceKey[], plan: (input: PlanInput) => CommitPlan): Promise<CommitPlan>;
  /** The current version (a tombstone when deleted); undefined when it never existed. */
  read(resourceType: string, id: string): Promise<StoredResource | undefined>;
  readVersion(resourceType: string, id: string, versionId: string): Promise<StoredResource | undefined>;
  /** Versions newest first (descending seq), honouring every field of the query. */
  history(query: HistoryQuery): AsyncIterable<StoredResource>;
  /** Up to `limit` events with `seq >= fromSeq`, in seq order. */
  readChanges(fromSeq: number, limit: number): Promise<ChangeEvent[]>;
  /** The last committed seq (0 when empty). */
  headSeq(): Promise<number>;
  readonly checkpoints: CheckpointStore;
  /**
   * Optional: call `onCommit(seq)` when another process commits (e.g. PostgreSQL
   * LISTEN/NOTIFY), so that followers here wake without polling. Returns an unsubscribe.
   */
  watch?(onCommit: (seq: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * The map key of a resource in {@link PlanInput.heads}.
 *
 * @example
 * ```ts
 * keyOf('Patient', '123'); // 'Patient/123'
 * ```
 */
export function keyOf(resourceType: string, id: string): string {
  return `${resourceType}/${id}`;
}
