import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent } from '../store/types.js';

/**
 * What a projector's `apply` is given besides the batch.
 *
 * A projection is kept per *generation*: the runtime builds generation N+1
 * while readers keep using generation N, then swaps. Namespace the
 * projection's data by `generation`.
 */
export interface ProjectorContext {
  readonly store: ResourceStore;
  readonly generation: number;
  /** The checkpoint name of this generation, for projectors that save it in their own transaction. */
  readonly checkpointKey: string;
  /**
   * The seq to checkpoint after this batch: the last seq read, which may be
   * past the last event handed to `apply` when `handles` filtered some out.
   */
  readonly lastSeq: number;
  /** Aborted when the runtime stops or this generation is retired. */
  readonly signal: AbortSignal;
}

/** Return this from `apply` when the projector saved `{ seq }` under `ctx.checkpointKey` atomically with its writes. */
export interface AppliedWithCheckpoint {
  checkpointed: true;
}

/**
 * A projection of the change log: a plain definition, like Emmett's.
 * `apply` must be idempotent: after a crash the runtime replays the batches
 * after the last checkpoint (at-least-once).
 *
 * @example
 * ```ts
 * const counts = new Map<number, Map<string, number>>();
 * const perType: Projector = {
 *   name: 'live-count', version: 1,
 *   async apply(batch, { generation }) {
 *     const m = counts.get(generation) ?? new Map();
 *     counts.set(generation, m);
 *     for (const e of batch) m.set(`${e.resourceType}/${e.id}`, e.action === 'delete' ? 0 : 1);
 *   },
 *   async reset(generation) { counts.delete(generation); },
 * };
 * ```
 */
export interface Projector {
  readonly name: string;
  /** Changing the version makes the runtime rebuild the projection from seq 1. */
  readonly version: number;
  /** Only these events reach `apply` (the checkpoint still advances over the others). */
  handles?(event: ChangeEvent): boolean;
  apply(batch: ChangeEvent[], ctx: ProjectorContext): Promise<void | AppliedWithCheckpoint>;
  /** Drop all data of a generation (before building it afresh, and after it was replaced). */
  reset?(generation: number): Promise<void>;
  /** `generation` is now the one readers must use. */
  activate?(generation: number): Promise<void> | void;
  /**
   * Where a generation resumes, for a projector that keeps its checkpoint
   * with its data in a database of its own (saved atomically with its
   * writes; `apply` then returns `{ checkpointed: true }`). Undefined: the
   * runtime's own checkpoint applies.
   */
  checkpoint?(generation: number): Promise<number | undefined>;
}

/** The observable state of one projector. */
export interface ProjectorStatus {
  name: string;
  version: number;
  /** The generation readers use. */
  generation: number;
  /** Last seq applied to the serving generation. */
  checkpoint: number;
  headSeq: number;
  /** `headSeq - checkpoint`. */
  lag: number;
  /** Events read per second over the last few seconds. */
  eventsPerSecond: number;
  state: 'idle' | 'running' | 'retrying' | 'stopped';
  /** The generation being rebuilt, and how far it is. */
  rebuilding?: { generation: number; version: number; checkpoint: number };
  /** The last error of `apply`, while it is being retried. */
  lastError?: { message: string; attempts: number; at: string };
}

/** Reported on `errors$` each time a projector's `apply` throws. */
export interface ProjectorError {
  name: string;
  generation: number;
  error: unknown;
  attempts: number;
  /** ms until the next try. */
  retryInMs: number;
  fromSeq: number;
}
