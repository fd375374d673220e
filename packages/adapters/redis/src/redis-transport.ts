import { randomUUID } from 'node:crypto';
import {
  type ChangeConsumer,
  type ChangeEvent,
  type ChangeHandler,
  type ChangeTransport,
  type ConsumeOptions,
  encodeChangeEvent,
} from '@fhirstream/core';
import { Redis } from 'ioredis';
import { errorMessage, type RedisClientLike, seqOfId } from './redis-client.js';
import { RedisConsumerWorker } from './redis-consumer.js';

/** Options of {@link openRedisTransport}. */
export interface RedisTransportOptions {
  /** A client to use (it is not closed by `close()`; consumers use `client.duplicate()`); otherwise `url` is connected to. */
  client?: RedisClientLike;
  /** e.g. `redis://127.0.0.1:6379` (when no `client`). */
  url?: string;
  /** The stream key is `<prefix>:changes` (default `fhirstream`). */
  prefix?: string;
  /** The stream key (default `<prefix>:changes`). */
  key?: string;
  /** Trim the stream to about this many entries (`XADD MAXLEN ~`); default: keep all. */
  maxLen?: number;
  /** Longest block of one consumer read, in ms (default 1,000). */
  blockMs?: number;
}

/** A {@link ChangeTransport} over Redis Streams; see {@link openRedisTransport}. */
export interface RedisTransport extends ChangeTransport {
  readonly kind: 'redis';
  readonly key: string;
  /** Delete the stream and its groups (for tests and teardown). */
  destroy(): Promise<void>;
}

/**
 * Open a change-stream transport over Redis Streams: one stream whose entry id
 * is `<seq>-0` — so Redis itself rejects a re-published event, and can never
 * store one out of order — and a consumer group per group name (XREADGROUP,
 * XACK after the handler, XAUTOCLAIM to take over a dead consumer's pending entries).
 *
 * @example
 * ```ts
 * import { createRelay } from '@fhirstream/core';
 * import { openRedisTransport } from '@fhirstream/redis';
 *
 * const transport = await openRedisTransport({ url: 'redis://127.0.0.1:6379', prefix: 'clinic' });
 * const relay = createRelay(store, transport, { name: 'redis' });
 * ```
 */
export async function openRedisTransport(options: RedisTransportOptions = {}): Promise<RedisTransport> {
  const owned = options.client === undefined;
  const client: RedisClientLike = options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379');
  try {
    await client.call('PING');
  } catch (error) {
    if (owned) client.disconnect();
    throw error;
  }
  return new StreamsTransport(client, owned, options);
}

class StreamsTransport implements RedisTransport {
  readonly kind = 'redis' as const;
  readonly key: string;
  readonly #workers = new Set<RedisConsumerWorker>();
  #closed = false;

  constructor(
    private readonly client: RedisClientLike,
    private readonly owned: boolean,
    private readonly options: RedisTransportOptions,
  ) {
    this.key = options.key ?? `${options.prefix ?? 'fhirstream'}:changes`;
  }

  async publish(events: readonly ChangeEvent[]): Promise<void> {
    const trim = this.options.maxLen ? ['MAXLEN', '~', this.options.maxLen] : [];
    // Sent back to back on one connection, so applied in this order.
    await Promise.all(
      events.map((event) =>
        this.client
          .call('XADD', this.key, ...trim, `${event.seq}-0`, 'e', encodeChangeEvent(event))
          .catch((error) => {
            // `<seq>-0` at or below the top entry: already published (events are only ever added in order).
            if (!errorMessage(error).includes('equal or smaller')) throw error;
          }),
      ),
    );
  }

  async lastPublishedSeq(): Promise<number> {
    let info: unknown;
    try {
      info = await this.client.call('XINFO', 'STREAM', this.key);
    } catch (error) {
      if (errorMessage(error).includes('no such key')) return 0;
      throw error;
    }
    const fields = info as unknown[];
    const at = fields.indexOf('last-generated-id');
    return at < 0 ? 0 : seqOfId(String(fields[at + 1]));
  }

  async consume(
    group: string,
    handler: ChangeHandler,
    options: ConsumeOptions = {},
  ): Promise<ChangeConsumer> {
    if (this.#closed) throw new Error('The Redis transport is closed');
    try {
      await this.client.call('XGROUP', 'CREATE', this.key, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!errorMessage(error).includes('BUSYGROUP')) throw error;
    }
    const worker = new RedisConsumerWorker(
      group,
      options.consumer ?? randomUUID(),
      this.client.duplicate(),
      handler,
      {
        ...options,
        key: this.key,
        batchSize: options.batchSize ?? 100,
        ackWaitMs: options.ackWaitMs ?? 30_000,
        blockMs: this.options.blockMs ?? 1000,
      },
      (w) => this.#workers.delete(w),
    );
    this.#workers.add(worker);
    worker.start();
    return worker;
  }

  async destroy(): Promise<void> {
    await this.client.call('DEL', this.key);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#workers].map((w) => w.stop()));
    if (this.owned) await this.client.quit();
  }
}
