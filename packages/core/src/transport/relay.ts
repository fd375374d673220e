import type { Observable, Subscription } from 'rxjs';
import { Subject } from 'rxjs';
import { FhirError } from '../errors/fhir-error.js';
import { type BackoffOptions, backoffDelay, sleep } from '../projection/backoff.js';
import { RateMeter } from '../projection/rate-meter.js';
import type { ResourceStore } from '../store/create-store.js';
import { SeqWaiter } from './seq-waiter.js';
import type { ChangeTransport } from './types.js';

/** Options of {@link createRelay}. */
export interface RelayOptions {
  /** Names the checkpoint `relay/<name>` (default `default`). */
  name?: string;
  /** Events per `publish` (default 500). */
  batchSize?: number;
  /** Also look for new events every this many ms (for writers in other processes; default: commits only). */
  pollIntervalMs?: number;
  /** Backoff of a failing publish (default 100 ms doubling to 30 s). */
  backoff?: BackoffOptions;
  /**
   * Where to resume after a start or a failure. `broker` (default): after
   * `max(checkpoint, transport.lastPublishedSeq())`, so the tail a crash left
   * published but not checkpointed is not sent again. `checkpoint`: after the
   * checkpoint only, re-publishing that tail and relying on the broker's dedupe.
   */
  resume?: 'broker' | 'checkpoint';
}

/** The observable state of a relay. */
export interface RelayStatus {
  name: string;
  /** The last seq the broker acknowledged (and the relay checkpointed). */
  published: number;
  headSeq: number;
  /** `headSeq - published`. */
  lag: number;
  eventsPerSecond: number;
  state: 'starting' | 'idle' | 'publishing' | 'retrying' | 'stopped';
  lastError?: { message: string; attempts: number; at: string };
}

/** Reported on `errors$` each time a read or publish fails (it is retried from the broker's position). */
export interface RelayError {
  name: string;
  error: unknown;
  attempts: number;
  retryInMs: number;
  fromSeq: number;
}

/** A running relay; see {@link createRelay}. */
export interface Relay {
  readonly name: string;
  /** Resolve once the relay has published (and checkpointed) `seq`; `FhirError('timeout')` after `timeoutMs` (default 5,000). */
  waitFor(seq: number, options?: { timeoutMs?: number }): Promise<void>;
  status(): Promise<RelayStatus>;
  readonly errors$: Observable<RelayError>;
  /** Stop after the batch in flight (it is checkpointed when the broker acknowledges it). */
  stop(): Promise<void>;
}

/**
 * Relay the change log of a store to a broker: read after the checkpoint
 * `relay/<name>`, publish in seq order in batches, checkpoint after the broker
 * acknowledged, repeat; sleep until the next commit when caught up. It pulls
 * from the log like `changes$` does (a commit only wakes it up), but one batch
 * at a time, so a slow broker applies backpressure instead of filling memory.
 * After a crash or a failed publish it resumes from the broker's own last seq,
 * and a re-published event is dropped by the broker's dedupe, so nothing is lost
 * or doubled.
 *
 * @example
 * ```ts
 * const relay = createRelay(store, await openNatsTransport({ servers: 'nats://127.0.0.1:4222' }));
 * const { seq } = await store.commit([{ op: 'create', resource: { resourceType: 'Patient' } }]);
 * await relay.waitFor(seq);
 * await relay.stop();
 * ```
 */
export function createRelay(
  store: ResourceStore,
  transport: ChangeTransport,
  options: RelayOptions = {},
): Relay {
  const name = options.name ?? 'default';
  const key = `relay/${name}`;
  const batchSize = options.batchSize ?? 500;
  const resume = options.resume ?? 'broker';
  const errors = new Subject<RelayError>();
  const waiter = new SeqWaiter(`Relay ${name}`);
  const meter = new RateMeter();
  const abort = new AbortController();
  const signal = abort.signal;
  let state: RelayStatus['state'] = 'starting';
  let lastError: RelayStatus['lastError'];
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    woken = true;
    wakeUp?.();
  };
  const subscriptions: Subscription[] = [store.commits$.subscribe({ next: wake })];
  const poll = options.pollIntervalMs ? setInterval(wake, options.pollIntervalMs) : undefined;

  /** The first seq to publish: after the checkpoint, or after what the broker already holds. */
  const resumePoint = async (): Promise<number> => {
    const checkpoint = (await store.checkpoints.get(key))?.seq ?? 0;
    if (resume === 'checkpoint') return checkpoint;
    const brokerSeq = await transport.lastPublishedSeq();
    if (brokerSeq <= checkpoint) return checkpoint;
    const head = await store.headSeq();
    if (brokerSeq > head) {
      throw new FhirError(
        'invalid',
        `The broker holds seq ${brokerSeq}, beyond the head ${head} of this store: is it the stream of another store?`,
      );
    }
    await store.checkpoints.set(key, { seq: brokerSeq });
    return brokerSeq;
  };

  const run = async () => {
    let next = 0;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (next === 0) {
          next = (await resumePoint()) + 1;
          waiter.advance(next - 1);
        }
        woken = false;
        const batch = await store.readChanges(next, batchSize);
        if (batch.length === 0) {
          state = 'idle';
          failures = 0;
          if (!woken && !signal.aborted) await new Promise<void>((resolve) => (wakeUp = resolve));
          wakeUp = undefined;
          continue;
        }
        state = 'publishing';
        await transport.publish(batch);
        const last = batch[batch.length - 1]!.seq;
        await store.checkpoints.set(key, { seq: last });
        next = last + 1;
        failures = 0;
        lastError = undefined;
        meter.add(batch.length);
        waiter.advance(last);
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const retryInMs = backoffDelay(failures, options.backoff);
        state = 'retrying';
        const message = error instanceof Error ? error.message : String(error);
        lastError = { message, attempts: failures, at: new Date().toISOString() };
        errors.next({ name, error, attempts: failures, retryInMs, fromSeq: next || 1 });
        next = 0; // re-read the position from the broker: the failed batch may be partly stored
        await sleep(retryInMs, signal);
      }
    }
    state = 'stopped';
  };
  const done = run();

  return {
    name,
    errors$: errors.asObservable(),
    waitFor: (seq, { timeoutMs = 5000 } = {}) => waiter.waitFor(seq, timeoutMs),
    async status() {
      const headSeq = await store.headSeq();
      const published = waiter.position;
      return {
        name,
        published,
        headSeq,
        lag: Math.max(0, headSeq - published),
        eventsPerSecond: meter.perSecond(),
        state,
        ...(lastError ? { lastError } : {}),
      };
    },
    async stop() {
      if (signal.aborted) return done;
      abort.abort();
      if (poll) clearInterval(poll);
      for (const s of subscriptions) s.unsubscribe();
      wake();
      await done;
      errors.complete();
    },
  };
}
