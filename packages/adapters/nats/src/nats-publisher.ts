import { JetStreamApiError } from '@nats-io/jetstream';
import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** One message for {@link PipelinedPublisher.publish}. */
export interface PublishItem {
  readonly subject: string;
  readonly data: string | Uint8Array;
  readonly headers: MsgHdrs;
}

/** Options of {@link PipelinedPublisher}. */
export interface PipelinedPublisherOptions {
  /** Fail a publish when no ack arrived for this many ms while some were due (default 5,000, as `js.publish`). */
  timeoutMs?: number;
  /** Most messages of one publish sent and not yet acknowledged (default 1,000). */
  maxPending?: number;
}

interface Batch {
  readonly items: readonly PublishItem[];
  readonly prefix: string;
  sent: number;
  settled: number;
  /** The error of the earliest message that failed (order matters: it explains the ones after it). */
  error: { index: number; error: Error } | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Publishes JetStream messages pipelined on one connection: every message goes
 * out with `nc.publish` and a reply subject on one shared inbox subscription,
 * and the stream's acks (`PubAck` or an API error) are matched back by that
 * subject. Semantically the same as awaiting `js.publish` for each message
 * together — the server receives them in the order sent on the connection and
 * checks each one's headers (`Nats-Msg-Id`, expectations) — without a
 * request object, timer and pre-built error per message, which made the
 * client, not the server, the bottleneck.
 *
 * A publish resolves when every message was acknowledged (a duplicate ack
 * counts), and rejects with the error of the earliest failed message once
 * every message sent was answered: nothing is sent after a failure, so a
 * rejected publish has no message in flight (except after a timeout).
 */
export class PipelinedPublisher {
  readonly #batches = new Map<number, Batch>();
  readonly #inbox: string;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  #sub: Subscription | undefined;
  #nextId = 0;
  #closed = false;

  constructor(
    private readonly nc: NatsConnection,
    options: PipelinedPublisherOptions = {},
  ) {
    // Under the connection's own inbox prefix (`inboxPrefix` option), which permissions may be set for.
    this.#inbox = createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxPending = Math.max(1, options.maxPending ?? 1000);
  }

  /** Publish `items` in order; resolves once the stream acknowledged all of them. */
  publish(items: readonly PublishItem[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The NATS publisher is closed'));
    if (items.length === 0) return Promise.resolve();
    this.#subscribe();
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      const batch: Batch = {
        items,
        prefix: `${this.#inbox}.${id}.`,
        sent: 0,
        settled: 0,
        error: undefined,
        timer: undefined,
        resolve,
        reject,
      };
      this.#batches.set(id, batch);
      try {
        this.#send(batch, Math.min(items.length, this.#maxPending));
      } catch (error) {
        this.#fail(id, batch, asError(error));
        return;
      }
      this.#arm(id, batch);
    });
  }

  /** Stop taking publishes and wait until those in flight settled. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#batches.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }

  #subscribe(): void {
    if (this.#sub && !this.#sub.isClosed()) return;
    const sub = this.nc.subscribe(`${this.#inbox}.>`, {
      callback: (error, msg) => (error ? this.#failAll(asError(error)) : this.#onAck(msg)),
    });
    this.#sub = sub;
    void sub.closed.then(
      () => this.#sub === sub && this.#failAll(new Error('The NATS connection was closed')),
      (error: unknown) => this.#failAll(asError(error)),
    );
  }

  #send(batch: Batch, count: number): void {
    const end = Math.min(batch.items.length, batch.sent + count);
    for (let i = batch.sent; i < end; i++) {
      const item = batch.items[i]!;
      this.nc.publish(item.subject, item.data, { reply: `${batch.prefix}${i}`, headers: item.headers });
      batch.sent = i + 1;
    }
  }

  #onAck(msg: Msg): void {
    const subject = msg.subject;
    const dot = subject.lastIndexOf('.');
    const id = Number(subject.slice(subject.lastIndexOf('.', dot - 1) + 1, dot));
    const batch = this.#batches.get(id);
    if (!batch) return; // a late answer to a publish that timed out
    const index = Number(subject.slice(dot + 1));
    const error = ackError(msg, batch.items[index]?.subject ?? '');
    batch.settled += 1;
    if (error && (!batch.error || index < batch.error.index)) batch.error = { index, error };
    // Send the next one, unless something failed: everything after it would fail too.
    if (!batch.error && batch.sent < batch.items.length) {
      try {
        this.#send(batch, 1);
      } catch (e) {
        batch.error = { index: batch.sent, error: asError(e) };
      }
    }
    if (batch.settled < batch.sent) this.#arm(id, batch);
    else if (batch.error) this.#fail(id, batch, batch.error.error);
    else if (batch.sent === batch.items.length) this.#done(id, batch);
    else this.#arm(id, batch);
  }

  /** (Re)start the stall timer: fail when no ack arrives for `timeoutMs`. */
  #arm(id: number, batch: Batch): void {
    if (batch.timer) clearTimeout(batch.timer);
    batch.timer = setTimeout(() => {
      const waiting = batch.sent - batch.settled;
      this.#fail(
        id,
        batch,
        batch.error?.error ??
          new Error(
            `JetStream did not acknowledge ${waiting} published message(s) within ${this.#timeoutMs} ms`,
          ),
      );
    }, this.#timeoutMs);
  }

  #done(id: number, batch: Batch): void {
    if (batch.timer) clearTimeout(batch.timer);
    this.#batches.delete(id);
    batch.resolve();
  }

  #fail(id: number, batch: Batch, error: Error): void {
    if (batch.timer) clearTimeout(batch.timer);
    this.#batches.delete(id);
    batch.reject(error);
  }

  #failAll(error: Error): void {
    for (const [id, batch] of [...this.#batches]) this.#fail(id, batch, error);
  }
}

/** The error an ack reports, if any: a JetStream API error, or a status such as 503 (no stream for the subject). */
function ackError(msg: Msg, subject: string): Error | undefined {
  const status = msg.headers?.code ?? 0;
  if (status >= 300 || msg.data.length === 0) {
    return status === 503
      ? new Error(`No JetStream stream answered a publish to ${subject} (503 no responders)`)
      : new Error(
          `JetStream answered a publish to ${subject} with status ${status} ${msg.headers?.description ?? ''}`,
        );
  }
  let ack: { stream?: string; error?: ConstructorParameters<typeof JetStreamApiError>[0] };
  try {
    ack = msg.json();
  } catch (cause) {
    return new Error('JetStream answered a publish with an invalid ack', { cause });
  }
  if (ack.error) return new JetStreamApiError(ack.error);
  if (!ack.stream) return new Error('JetStream answered a publish with an invalid ack');
  return undefined;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
