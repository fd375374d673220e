import {
  type ChangeConsumer,
  type ChangeEvent,
  type ChangeHandler,
  type ConsumeOptions,
  decodeChangeEvent,
  defaultRetryDelay,
} from '@fhirstream/core';
import { parseReadGroup, type RedisClientLike, type StreamEntry } from './redis-client.js';

/** What a {@link RedisConsumerWorker} needs besides the handler. */
export interface RedisWorkerSettings extends ConsumeOptions {
  key: string;
  batchSize: number;
  ackWaitMs: number;
  /** Longest block of one XREADGROUP (ms). */
  blockMs: number;
}

/**
 * One consumer of a Redis Streams consumer group: first its own pending
 * entries (a failed batch, what a previous run of the same name left, and
 * entries idle longer than `ackWaitMs` that it took over from dead consumers
 * with XAUTOCLAIM), oldest first, then new entries (XREADGROUP `>`). A batch is XACKed after the
 * handler resolved; while it runs its entries are re-claimed to keep them idle-free.
 */
export class RedisConsumerWorker implements ChangeConsumer {
  readonly #abort = new AbortController();
  /** Aborted by `stop()` and `abort()`: cuts retry delays short. */
  readonly #stop = new AbortController();
  #stopping = false;
  #reading = false;
  #ownPending = true;
  #failures = 0;
  #lastClaim = 0;
  #done: Promise<void> = Promise.resolve();

  constructor(
    readonly group: string,
    readonly consumer: string,
    private readonly conn: RedisClientLike,
    private readonly handler: ChangeHandler,
    private readonly settings: RedisWorkerSettings,
    private readonly onClosed: (worker: RedisConsumerWorker) => void,
  ) {}

  start(): void {
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!this.#stopping && !signal.aborted) {
      try {
        const entries = await this.#next();
        if (entries.length > 0) await this.#handle(entries, signal);
      } catch (error) {
        if (this.#stopping || signal.aborted) break;
        this.settings.onError?.(error, []);
        await delay(200, this.#stop.signal);
      }
    }
  }

  /**
   * The next entries to handle: entries idle longer than `ackWaitMs` in dead
   * consumers' pending lists are first claimed into this consumer's own list;
   * then its own pending entries (claimed, or a failed batch), oldest first;
   * then new ones.
   */
  async #next(): Promise<StreamEntry[]> {
    const { key, batchSize, ackWaitMs, blockMs } = this.settings;
    const now = Date.now();
    if (now - this.#lastClaim >= Math.min(1000, ackWaitMs / 2)) {
      this.#lastClaim = now;
      const reply = (await this.conn.call(
        'XAUTOCLAIM',
        key,
        this.group,
        this.consumer,
        ackWaitMs,
        '0-0',
        'COUNT',
        batchSize,
        'JUSTID',
      )) as unknown[];
      const deleted = (reply?.[2] as string[] | undefined) ?? [];
      if (deleted.length > 0) await this.conn.call('XACK', key, this.group, ...deleted);
      if (Array.isArray(reply?.[1]) && reply[1].length > 0) this.#ownPending = true;
    }
    if (this.#ownPending) {
      const own = parseReadGroup(
        await this.conn.call(
          'XREADGROUP',
          'GROUP',
          this.group,
          this.consumer,
          'COUNT',
          batchSize,
          'STREAMS',
          key,
          '0',
        ),
      );
      if (own.length > 0) return own;
      this.#ownPending = false;
    }
    this.#reading = true;
    try {
      return parseReadGroup(
        await this.conn.call(
          'XREADGROUP',
          'GROUP',
          this.group,
          this.consumer,
          'COUNT',
          batchSize,
          'BLOCK',
          Math.min(blockMs, ackWaitMs),
          'STREAMS',
          key,
          '>',
        ),
      );
    } finally {
      this.#reading = false;
    }
  }

  async #handle(entries: StreamEntry[], signal: AbortSignal): Promise<void> {
    const { key, ackWaitMs } = this.settings;
    const ids = entries.map((e) => e.id);
    const events: ChangeEvent[] = [];
    for (const entry of entries) {
      try {
        events.push(decodeChangeEvent(entry.data));
      } catch (error) {
        // Not a change event: it can never succeed, acknowledge it rather than block the group.
        this.settings.onError?.(error, []);
        await this.conn.call('XACK', key, this.group, entry.id);
      }
    }
    if (events.length === 0) return;
    events.sort((a, b) => a.seq - b.seq);
    const keepAlive = setInterval(
      () => {
        if (signal.aborted) return;
        this.conn.call('XCLAIM', key, this.group, this.consumer, 0, ...ids, 'JUSTID').catch(() => {});
      },
      Math.max(100, Math.floor(ackWaitMs / 3)),
    );
    try {
      await this.handler(events, { consumer: this.consumer, redelivered: this.#ownPending, signal });
      if (signal.aborted) return;
      await this.conn.call('XACK', key, this.group, ...ids);
      this.#failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      this.#failures += 1;
      this.#ownPending = true;
      this.settings.onError?.(error, events);
      await delay(
        (this.settings.retryDelayMs ?? defaultRetryDelay)(this.#failures, error),
        this.#stop.signal,
      );
    } finally {
      clearInterval(keepAlive);
    }
  }

  async stop(): Promise<void> {
    if (this.#stopping) return this.#done;
    this.#stopping = true;
    this.#stop.abort();
    // A blocked read would hold the stop for up to blockMs: cut it (its entries stay pending, for the group).
    if (this.#reading) this.conn.disconnect();
    await this.#done;
    this.conn.disconnect();
    this.onClosed(this);
  }

  async abort(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.#stop.abort();
    this.#stopping = true;
    this.conn.disconnect();
    this.onClosed(this);
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
