import { randomUUID } from 'node:crypto';
import {
  type ChangeConsumer,
  type ChangeEvent,
  type ChangeHandler,
  type ChangeTransport,
  type ConsumeOptions,
  dedupeId,
  encodeChangeEvent,
} from '@fhirstream/core';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
import { NatsConsumerWorker } from './nats-consumer.js';
import { PipelinedPublisher, type PublishItem } from './nats-publisher.js';

/** Options of {@link openNatsTransport}. */
export interface NatsTransportOptions {
  /** An open connection to use (it is not closed by `close()`); otherwise `servers` is connected to. */
  connection?: NatsConnection;
  /** Server URL(s), e.g. `nats://127.0.0.1:4222` (when no `connection`). */
  servers?: string | string[];
  /** Subjects are `<prefix>.changes.<resourceType>` (default `fhirstream`). */
  prefix?: string;
  /** The JetStream stream (default `<PREFIX>_CHANGES`); created when missing. */
  stream?: string;
  /** First part of each event's dedupe id `<storeId>:<seq>` (default: the prefix). */
  storeId?: string;
  /** JetStream's dedupe window for re-published events (default 2 minutes). */
  duplicateWindowMs?: number;
  /** More settings for the stream when it is created (retention, max_age, replicas, storage). */
  streamConfig?: Partial<StreamConfig>;
  /**
   * Publish each event expecting the previous seq's message to be the last in
   * the stream (default true): a publish that failed half-way can then never
   * store a later event before an earlier one.
   */
  strictOrder?: boolean;
  /** Fail a publish when JetStream acknowledged nothing for this many ms (default 5,000). */
  publishTimeoutMs?: number;
  /** Most published messages awaiting their ack at once (default 1,000): a larger `publish` is sent as acks come back. */
  maxPendingPublishes?: number;
}

/** A {@link ChangeTransport} over NATS JetStream; see {@link openNatsTransport}. */
export interface NatsTransport extends ChangeTransport {
  readonly kind: 'nats';
  readonly stream: string;
  readonly subjectPrefix: string;
  /** Delete the stream and its consumers (for tests and teardown). */
  destroy(): Promise<void>;
}

const MSG_ID = 'Nats-Msg-Id';
const EXPECTED_LAST_MSG_ID = 'Nats-Expected-Last-Msg-Id';

/**
 * Open a change-stream transport over NATS JetStream: one stream with subjects
 * `<prefix>.changes.<resourceType>`, `Nats-Msg-Id` dedupe (`<storeId>:<seq>`),
 * and one durable pull consumer with explicit acks per group. The consumer
 * keeps at most one batch unacknowledged (`max_ack_pending` = batch size), so a
 * group's workers take batches in turn, in seq order.
 *
 * @example
 * ```ts
 * import { createRelay } from '@fhirstream/core';
 * import { openNatsTransport } from '@fhirstream/nats';
 *
 * const transport = await openNatsTransport({ servers: 'nats://127.0.0.1:4222', prefix: 'clinic' });
 * const relay = createRelay(store, transport, { name: 'nats' });
 * ```
 */
export async function openNatsTransport(options: NatsTransportOptions = {}): Promise<NatsTransport> {
  const prefix = options.prefix ?? 'fhirstream';
  const owned = options.connection === undefined;
  const nc = options.connection ?? (await connect({ servers: options.servers ?? 'nats://127.0.0.1:4222' }));
  try {
    const jsm = await jetstreamManager(nc);
    const stream = options.stream ?? `${durableName(prefix).toUpperCase()}_CHANGES`;
    await ensureStream(jsm, stream, prefix, options);
    return new JetStreamTransport(nc, owned, jsm, jetstream(nc), stream, prefix, options);
  } catch (error) {
    if (owned) await nc.close();
    throw error;
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  stream: string,
  prefix: string,
  options: NatsTransportOptions,
) {
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({
      name: stream,
      subjects: [`${prefix}.changes.>`],
      duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
      ...options.streamConfig,
    });
  }
}

/** A valid durable consumer name: no whitespace, `.`, `*`, `>`, or path separators. */
function durableName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

class JetStreamTransport implements NatsTransport {
  readonly kind = 'nats' as const;
  readonly #workers = new Set<NatsConsumerWorker>();
  readonly #storeId: string;
  readonly #publisher: PipelinedPublisher;
  #closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly owned: boolean,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    readonly stream: string,
    readonly subjectPrefix: string,
    private readonly options: NatsTransportOptions,
  ) {
    this.#storeId = options.storeId ?? subjectPrefix;
    this.#publisher = new PipelinedPublisher(nc, {
      timeoutMs: options.publishTimeoutMs,
      maxPending: options.maxPendingPublishes,
    });
  }

  /**
   * All events are sent back to back on the connection, each with its dedupe id
   * (and, when `strictOrder`, the previous seq's id as the expected last one),
   * and their acks awaited together: the server stores them in the order sent,
   * and with `strictOrder` one that fails makes every later one fail too, so
   * the stream never holds an event whose predecessor is missing.
   */
  async publish(events: readonly ChangeEvent[]): Promise<void> {
    if (this.#closed) throw new Error('The NATS transport is closed');
    const strict = this.options.strictOrder !== false;
    const items: PublishItem[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const h = headers();
      h.set(MSG_ID, dedupeId(this.#storeId, event.seq));
      if (strict && event.seq > 1) h.set(EXPECTED_LAST_MSG_ID, dedupeId(this.#storeId, event.seq - 1));
      items[i] = {
        subject: `${this.subjectPrefix}.changes.${event.resourceType}`,
        data: encodeChangeEvent(event),
        headers: h,
      };
    }
    await this.#publisher.publish(items);
  }

  async lastPublishedSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream);
    const last = info.state.last_seq;
    if (last === 0 || info.state.messages === 0) return 0;
    const msg = await this.jsm.streams.getMessage(this.stream, { seq: last }).catch(() => null);
    const id = msg?.header?.get(MSG_ID) ?? '';
    const seq = Number(id.slice(id.lastIndexOf(':') + 1));
    return Number.isSafeInteger(seq) ? seq : 0;
  }

  async consume(
    group: string,
    handler: ChangeHandler,
    options: ConsumeOptions = {},
  ): Promise<ChangeConsumer> {
    if (this.#closed) throw new Error('The NATS transport is closed');
    const batchSize = options.batchSize ?? 100;
    const ackWaitMs = options.ackWaitMs ?? 30_000;
    const durable = durableName(group);
    try {
      await this.jsm.consumers.info(this.stream, durable);
    } catch {
      await this.jsm.consumers.add(this.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: batchSize,
        max_deliver: -1,
        filter_subject: `${this.subjectPrefix}.changes.>`,
      });
    }
    const source = await this.js.consumers.get(this.stream, durable);
    const worker = new NatsConsumerWorker(
      group,
      options.consumer ?? randomUUID(),
      source,
      handler,
      { ...options, batchSize, ackWaitMs },
      (w) => this.#workers.delete(w),
    );
    this.#workers.add(worker);
    await worker.start();
    return worker;
  }

  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.stream).catch(() => false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#workers].map((w) => w.stop()));
    await this.#publisher.close();
    if (this.owned) await this.nc.drain();
    else await this.nc.flush();
  }
}
