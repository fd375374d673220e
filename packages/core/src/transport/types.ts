import type { ChangeEvent } from '../store/types.js';

/**
 * Handles one batch of events from a {@link ChangeTransport} consumer. The
 * batch is acknowledged only after the returned promise resolves; when it
 * rejects nothing of the batch is acknowledged and the broker redelivers it
 * (to this consumer or another one of the same group).
 */
export type ChangeHandler = (batch: ChangeEvent[], delivery: DeliveryInfo) => Promise<void>;

/** What a handler knows about the delivery of its batch. */
export interface DeliveryInfo {
  /** The consumer (worker) this batch was delivered to. */
  readonly consumer: string;
  /** True when some event of the batch was delivered before (a retry, or taken over from another consumer). */
  readonly redelivered: boolean;
  /** Aborted when the consumer is closed: a handler still running then will not be acknowledged. */
  readonly signal: AbortSignal;
}

/** Options of {@link ChangeTransport.consume}. */
export interface ConsumeOptions {
  /** The name of this worker in the group (default: random). Reusing a name resumes its pending events. */
  consumer?: string;
  /** Most events per handler call (default 100). */
  batchSize?: number;
  /**
   * An event delivered but not acknowledged within this many ms (a crashed or
   * stuck consumer) is redelivered to another consumer of the group. A consumer
   * whose handler is still running extends it. Default 30,000.
   */
  ackWaitMs?: number;
  /** Delay before a batch whose handler failed (`attempt` times in a row) is redelivered (default {@link defaultRetryDelay}). */
  retryDelayMs?: (attempt: number, error: unknown) => number;
  /** Reported each time the handler throws (it is retried, never skipped). */
  onError?: (error: unknown, batch: ChangeEvent[]) => void;
}

/** A running consumer of a group; see {@link ChangeTransport.consume}. */
export interface ChangeConsumer {
  readonly group: string;
  readonly consumer: string;
  /**
   * Stop fetching; wait for a running handler and acknowledge its batch when it
   * succeeds. Events fetched but not handled are left to the broker's redelivery.
   */
  stop(): Promise<void>;
  /**
   * Stop at once as a crash would: nothing more is acknowledged (a running handler
   * is abandoned, its `signal` aborted); the broker redelivers after `ackWaitMs`.
   */
  abort(): Promise<void>;
}

/**
 * A change-stream transport: carries the change log to other processes through
 * a broker (NATS JetStream, Redis Streams, ...). Core knows it by this shape
 * only; each adapter package implements it with its driver.
 *
 * Guarantees every implementation passes (see `runTransportConformance`):
 * - `publish` is idempotent by seq: an event published twice is stored once
 *   (a dedupe id per event, {@link dedupeId}), and events are stored in the order given.
 * - a consumer group sees every event at least once; each consumer gets its
 *   batches in seq order; a batch is acknowledged only after its handler resolved;
 *   what a failed or crashed consumer did not acknowledge is redelivered to the group.
 *
 * @example
 * ```ts
 * const transport = await openNatsTransport({ servers: 'nats://127.0.0.1:4222', prefix: 'app' });
 * await transport.publish(await store.readChanges(1, 100));
 * const consumer = await transport.consume('search', async (batch) => index(batch));
 * ```
 */
export interface ChangeTransport {
  /** The broker kind, e.g. `nats`, `redis`. */
  readonly kind: string;
  /** Store events in order; resolves when the broker has durably acknowledged all of them. */
  publish(events: readonly ChangeEvent[]): Promise<void>;
  /** The highest seq the broker holds (0 when none): read back from the broker, so a relay needs no state of its own to resume. */
  lastPublishedSeq(): Promise<number>;
  /** Join (creating when needed) the durable consumer group `group` and deliver its events to `handler`. */
  consume(group: string, handler: ChangeHandler, options?: ConsumeOptions): Promise<ChangeConsumer>;
  /** Stop every consumer of this client and close the connections it opened. */
  close(): Promise<void>;
}

/**
 * The broker-side deduplication id of an event: `<storeId>:<seq>`.
 *
 * @example
 * ```ts
 * dedupeId('main', 42); // 'main:42'
 * ```
 */
export function dedupeId(storeId: string, seq: number): string {
  return `${storeId}:${seq}`;
}

/**
 * The retry delay used when {@link ConsumeOptions.retryDelayMs} is not given: 100 ms doubling to 5 s.
 *
 * @example
 * ```ts
 * defaultRetryDelay(3); // 400
 * ```
 */
export function defaultRetryDelay(attempt: number): number {
  return Math.min(5000, 100 * 2 ** Math.max(0, attempt - 1));
}
