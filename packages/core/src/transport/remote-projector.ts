import type { Observable } from 'rxjs';
import { Subject } from 'rxjs';
import { FhirError } from '../errors/fhir-error.js';
import { type BackoffOptions, backoffDelay } from '../projection/backoff.js';
import { RateMeter } from '../projection/rate-meter.js';
import type { Projector, ProjectorError } from '../projection/types.js';
import type { ResourceStore } from '../store/create-store.js';
import type { ChangeEvent, CheckpointStore } from '../store/types.js';
import { SeqWaiter } from './seq-waiter.js';
import type { ChangeConsumer, ChangeTransport, DeliveryInfo } from './types.js';

/** Options of {@link runRemoteProjector}. */
export interface RemoteProjectorOptions {
  /**
   * Where the checkpoint (last applied seq) is kept: the remote side's own
   * store. Workers of one group that share a projection must share it too.
   */
  checkpoints: CheckpointStore;
  /** The consumer group (default `<name>-v<version>`: a new version is a new group, rebuilt from the retained stream). */
  group?: string;
  /** The checkpoint name (default `remote/<group>`). */
  checkpointKey?: string;
  /** This worker's name in the group (default: random). */
  consumer?: string;
  /** Events per `apply` at most (default 100). */
  batchSize?: number;
  /** See {@link ConsumeOptions.ackWaitMs}. */
  ackWaitMs?: number;
  /** Backoff of a failing `apply` (default 100 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /** Retry delay of events that arrived ahead of a gap (held by another worker, or redelivered late; default 50 ms). */
  gapRetryMs?: number;
  /** Passed to `apply` as `ctx.store`, when the remote side has one; otherwise using `ctx.store` throws `not-supported`. */
  store?: ResourceStore;
  /** `ctx.generation` (default 1). */
  generation?: number;
}

/** The observable state of a remote projector worker. */
export interface RemoteProjectorStatus {
  name: string;
  version: number;
  group: string;
  consumer: string;
  /** The last seq applied (by any worker of the group sharing the checkpoint store). */
  checkpoint: number;
  /** The last seq the broker holds. */
  publishedSeq: number;
  /** `publishedSeq - checkpoint`. */
  lag: number;
  eventsPerSecond: number;
  /** Redelivered events acknowledged without `apply` because the checkpoint had passed them. */
  skipped: number;
  state: 'idle' | 'running' | 'retrying' | 'stopped';
  lastError?: { message: string; attempts: number; at: string };
}

/** A projector running from a transport; see {@link runRemoteProjector}. */
export interface RemoteProjector {
  readonly name: string;
  readonly group: string;
  /** Resolve once the group has applied `seq`; `FhirError('timeout')` after `timeoutMs` (default 5,000). */
  waitFor(seq: number, options?: { timeoutMs?: number }): Promise<void>;
  status(): Promise<RemoteProjectorStatus>;
  /** Every failure of `apply` (the batch is redelivered, never skipped). */
  readonly errors$: Observable<ProjectorError>;
  /** Finish the batch being applied, acknowledge it, and leave the group. */
  stop(): Promise<void>;
  /** Leave at once as a crash would; what was not acknowledged is redelivered to the group. */
  abort(): Promise<void>;
}

/** Events arrived after a gap: the events before them are held by another worker or not redelivered yet. */
class WaitingForGap extends Error {
  constructor(expected: number, got: number) {
    super(`Waiting for seq ${expected} before ${got}`);
  }
}

/**
 * Run a {@link Projector} in another process, fed by a transport's durable
 * consumer group: apply each batch, save the checkpoint, then acknowledge.
 * Redelivered events at or below the checkpoint (after a crash, or taken over
 * from a dead worker) are acknowledged without `apply`, and events are applied
 * strictly in seq order — one ahead of a gap is left for redelivery — so the
 * workers of a group apply every event once, in order, even while they
 * take over from each other. A crash between `apply` and the checkpoint
 * replays that batch (at-least-once), unless `apply` saves the checkpoint
 * itself (`{ checkpointed: true }`).
 *
 * @example
 * ```ts
 * const transport = await openRedisTransport({ url: 'redis://127.0.0.1:6379', prefix: 'app' });
 * const worker = await runRemoteProjector(transport, searchIndexer, { checkpoints: lmdbCheckpoints });
 * await worker.waitFor(seq);
 * ```
 */
export async function runRemoteProjector(
  transport: ChangeTransport,
  projector: Projector,
  options: RemoteProjectorOptions,
): Promise<RemoteProjector> {
  const { checkpoints } = options;
  const group = options.group ?? `${projector.name}-v${projector.version}`;
  const key = options.checkpointKey ?? `remote/${group}`;
  const generation = options.generation ?? 1;
  const store = options.store ?? storeNotAvailable();
  const gapRetryMs = options.gapRetryMs ?? 50;
  const errors = new Subject<ProjectorError>();
  const waiter = new SeqWaiter(`Remote projector ${projector.name}`);
  const meter = new RateMeter();
  let state: RemoteProjectorStatus['state'] = 'idle';
  let lastError: RemoteProjectorStatus['lastError'];
  let failures = 0;
  let skipped = 0;

  const existing = await checkpoints.get(key);
  if (!existing) {
    await projector.reset?.(generation);
    await checkpoints.set(key, { seq: 0 });
  }
  waiter.advance(existing?.seq ?? 0);
  await projector.activate?.(generation);

  const applyRun = async (run: ChangeEvent[], delivery: DeliveryInfo) => {
    const lastSeq = run[run.length - 1]!.seq;
    const relevant = projector.handles ? run.filter((e) => projector.handles!(e)) : run;
    let checkpointed = false;
    if (relevant.length > 0) {
      try {
        const ctx = { store, generation, checkpointKey: key, lastSeq, signal: delivery.signal };
        checkpointed = (await projector.apply(relevant, ctx))?.checkpointed === true;
      } catch (error) {
        failures += 1;
        const retryInMs = backoffDelay(failures, options.backoff);
        const message = error instanceof Error ? error.message : String(error);
        state = 'retrying';
        lastError = { message, attempts: failures, at: new Date().toISOString() };
        errors.next({
          name: projector.name,
          generation,
          error,
          attempts: failures,
          retryInMs,
          fromSeq: run[0]!.seq,
        });
        throw error;
      }
    }
    if (!checkpointed) await checkpoints.set(key, { seq: lastSeq });
    failures = 0;
    lastError = undefined;
    meter.add(run.length);
    waiter.advance(lastSeq);
  };

  const handler = async (batch: ChangeEvent[], delivery: DeliveryInfo) => {
    state = 'running';
    const checkpoint = Math.max((await checkpoints.get(key))?.seq ?? 0, 0);
    waiter.advance(checkpoint);
    const fresh = batch.filter((e) => e.seq > checkpoint);
    skipped += batch.length - fresh.length;
    if (fresh.length > 0) {
      let n = 0;
      while (n < fresh.length && fresh[n]!.seq === checkpoint + 1 + n) n++;
      if (n === 0) throw new WaitingForGap(checkpoint + 1, fresh[0]!.seq);
      await applyRun(fresh.slice(0, n), delivery);
      if (n < fresh.length) throw new WaitingForGap(fresh[n - 1]!.seq + 1, fresh[n]!.seq);
    }
    state = 'idle';
  };

  const consumer: ChangeConsumer = await transport.consume(group, handler, {
    ...(options.consumer ? { consumer: options.consumer } : {}),
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    ...(options.ackWaitMs ? { ackWaitMs: options.ackWaitMs } : {}),
    retryDelayMs: (attempt, error) =>
      error instanceof WaitingForGap ? gapRetryMs : backoffDelay(attempt, options.backoff),
  });

  const finish = async (how: 'stop' | 'abort') => {
    if (state === 'stopped') return;
    state = 'stopped';
    await (how === 'stop' ? consumer.stop() : consumer.abort());
    errors.complete();
  };

  return {
    name: projector.name,
    group,
    errors$: errors.asObservable(),
    waitFor(seq, { timeoutMs = 5000 } = {}) {
      if (waiter.position >= seq) return Promise.resolve();
      // Another worker of the group may be the one applying: watch the shared checkpoint too.
      const poll = setInterval(() => {
        checkpoints.get(key).then(
          (c) => waiter.advance(c?.seq ?? 0),
          () => {},
        );
      }, 50);
      const done = waiter.waitFor(seq, timeoutMs);
      return done.finally(() => clearInterval(poll));
    },
    async status() {
      const publishedSeq = await transport.lastPublishedSeq();
      const checkpoint = Math.max(waiter.position, (await checkpoints.get(key))?.seq ?? 0);
      return {
        name: projector.name,
        version: projector.version,
        group,
        consumer: consumer.consumer,
        checkpoint,
        publishedSeq,
        lag: Math.max(0, publishedSeq - checkpoint),
        eventsPerSecond: meter.perSecond(),
        skipped,
        state,
        ...(lastError ? { lastError } : {}),
      };
    },
    stop: () => finish('stop'),
    abort: () => finish('abort'),
  };
}

/** A `ctx.store` for a remote side without a store: any use says so. */
function storeNotAvailable(): ResourceStore {
  return new Proxy({} as ResourceStore, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new FhirError(
        'not-supported',
        `ctx.store.${String(property)}: this remote projector was started without a store (pass options.store)`,
      );
    },
  });
}
