import type { FhirResource, Resource } from 'fhir/r4';

/** Any R4 resource as JSON: one of the R4 resource types, or any resource by its base shape. */
export type AnyResource = FhirResource | Resource;

/** What a change did to a resource. */
export type ChangeAction = 'create' | 'update' | 'delete';

/**
 * One entry of the change log: a version of one resource, at one position.
 *
 * `seq` is gap-free and strictly increasing across the whole store; the events
 * of one commit are contiguous and share `txId`. `resource` is parsed lazily on
 * first access (replaying the log does not pay for JSON it does not read) and is
 * `undefined` for a delete.
 */
export interface ChangeEvent {
  readonly seq: number;
  readonly txId: string;
  readonly action: ChangeAction;
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string;
  /** FHIR instant (ISO 8601, millisecond precision, UTC). Non-decreasing in `seq`. */
  readonly lastUpdated: string;
  /** The resource as of this version (with `meta.versionId`/`meta.lastUpdated`); undefined for a delete. */
  readonly resource: Resource | undefined;
}

/** One stored version of a resource, as returned by read, vread and history. */
export interface StoredResource {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string;
  readonly lastUpdated: string;
  /** The change-log position that wrote this version. */
  readonly seq: number;
  /** True when this version is a delete (a tombstone). */
  readonly deleted: boolean;
  /** The resource JSON as UTF-8 bytes, exactly as stored; undefined for a tombstone. */
  readonly body: Uint8Array | undefined;
  /** The parsed resource (parsed lazily, then cached); undefined for a tombstone. */
  readonly resource: Resource | undefined;
}

/** Address of one resource. */
export interface ResourceKey {
  resourceType: string;
  id: string;
}

/** Create a new resource. Without `id` the store assigns one. */
export interface CreateOp {
  op: 'create';
  resource: AnyResource;
  /** A caller-chosen id (e.g. resolved from a transaction's `urn:uuid`); must not exist yet. */
  id?: string;
}

/** Write a new version of a resource (creating it when it does not exist, unless `mustExist`). */
export interface UpdateOp {
  op: 'update';
  resource: AnyResource & { id: string };
  /** Version precondition (the `If-Match` versionId). */
  ifMatch?: string;
  /** Fail with `not-found` instead of creating. */
  mustExist?: boolean;
}

/** Delete a resource (a tombstone version). Deleting what does not exist is a no-op. */
export interface DeleteOp {
  op: 'delete';
  resourceType: string;
  id: string;
  /** Version precondition (the `If-Match` versionId). */
  ifMatch?: string;
}

/** One write in a {@link WriteSet}. */
export type WriteOp = CreateOp | UpdateOp | DeleteOp;

/** Writes committed atomically: all or nothing, one contiguous run of `seq`. */
export interface WriteSet {
  ops: WriteOp[];
  /** Transaction id to record on the events; generated when absent. */
  txId?: string;
}

/** What one op of a commit did. `noop` is a delete of something absent or already deleted. */
export interface WriteResult {
  outcome: 'created' | 'updated' | 'deleted' | 'noop';
  resourceType: string;
  id: string;
  /** The version written (absent for `noop`). */
  stored?: StoredResource;
}

/** The result of an acknowledged, durable commit. */
export interface CommitResult {
  txId: string;
  /** The seq of the last event this commit wrote (or the head seq if it wrote none): a read-your-writes token. */
  seq: number;
  /** One result per op, in the order of the ops. */
  results: WriteResult[];
}

/** Scope and paging of a history read. Newest first. */
export interface HistoryQuery {
  /** Omit for system history. */
  resourceType?: string;
  /** With `resourceType`: instance history. */
  id?: string;
  /** Only versions with `lastUpdated >= since` (FHIR `_since`). */
  since?: string;
  /** Only versions with `seq < before`: the paging cursor (pass the last seq of the previous page). */
  before?: number;
  /** At most this many versions. */
  count?: number;
}

/** A durable position of a named consumer in the change log, plus free-form JSON state. */
export interface Checkpoint {
  /** The last seq the consumer has fully applied (0 = nothing). */
  seq: number;
  [key: string]: unknown;
}

/** Durable checkpoints of named consumers (projectors, relays, subscriptions). */
export interface CheckpointStore {
  get(name: string): Promise<Checkpoint | undefined>;
  set(name: string, checkpoint: Checkpoint): Promise<void>;
  delete(name: string): Promise<void>;
  /** All checkpoints whose name starts with `prefix` (all when omitted). */
  list(prefix?: string): Promise<Array<[string, Checkpoint]>>;
}

/** What a backend can do. */
export interface StoreCapabilities {
  /** Backend name, e.g. `lmdb`, `postgres`. */
  name: string;
  /** An acknowledged commit survives a crash of the process (and of the OS if `fsync`). */
  durable: boolean;
  /** Several processes can write the same store at once. */
  multiProcess: boolean;
  /** Projectors on this backend can write their checkpoint in their own transaction. */
  transactionalCheckpoints: boolean;
}
