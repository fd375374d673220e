import {
  type ChangeConsumer,
  type ChangeEvent,
  type ChangeHandler,
  type ConsumeOptions,
  decodeChangeEvent,
  defaultRetryDelay,
} from '@fhirstream/core';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/**
 * One worker of a durable pull consumer: buffers what JetStream delivers,
 * hands it to the handler a batch at a time in seq order, keeps the batch
 * alive (`working`) while the handler runs, then acks it — or naks it with a
 * delay when the handler throws, together with everything delivered behind it
 * until that delay is over, so the group still sees events in seq order.
 */
export class NatsConsumerWorker implements ChangeConsumer {
  readonly #queue: JsMsg[] = [];
  readonly #abort = new AbortController();
  #messages: ConsumerMessages | undefined;
  #wake: (() => void) | undefined;
  #stopping = false;
  #failures = 0;
  /** After a failed batch: messages delivered before this time are nak'd, keeping seq order. */
  #holdUntil = 0;
  #done: Promise<void> = Promise.resolve();

  constructor(
    readonly group: string,
    readonly consumer: string,
    private readonly source: Consumer,
    private readonly handler: ChangeHandler,
    private readonly options: Required<Pick<ConsumeOptions, 'batchSize' | 'ackWaitMs'>> & ConsumeOptions,
    private readonly onClosed: (worker: NatsConsumerWorker) => void,
  ) {}

  async start(): Promise<void> {
    this.#messages = await this.source.consume({
      max_messages: this.options.batchSize,
      callback: (msg) => {
        if (this.#abort.signal.aborted) return;
        const held = this.#holdUntil - Date.now();
        if (held > 0) return msg.nak(held);
        this.#queue.push(msg);
        this.#wake?.();
      },
    });
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!this.#stopping && !signal.aborted) {
      if (this.#queue.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const msgs = this.#queue.splice(0, this.options.batchSize);
      const batch: Array<{ msg: JsMsg; event: ChangeEvent }> = [];
      for (const msg of msgs) {
        try {
          batch.push({ msg, event: decodeChangeEvent(msg.data) });
        } catch (error) {
          // Not a change event: it can never succeed, drop it rather than block the group.
          this.options.onError?.(error, []);
          msg.term();
        }
      }
      if (batch.length === 0) continue;
      batch.sort((a, b) => a.event.seq - b.event.seq);
      await this.#handle(batch, signal);
    }
  }

  async #handle(batch: Array<{ msg: JsMsg; event: ChangeEvent }>, signal: AbortSignal): Promise<void> {
    const keepAlive = setInterval(
      () => {
        if (!signal.aborted) for (const { msg } of batch) msg.working();
      },
      Math.max(100, Math.floor(this.options.ackWaitMs / 3)),
    );
    const events = batch.map((b) => b.event);
    try {
      await this.handler(events, {
        consumer: this.consumer,
        redelivered: batch.some((b) => b.msg.redelivered),
        signal,
      });
      if (signal.aborted) return;
      this.#failures = 0;
      for (const { msg } of batch) msg.ack();
    } catch (error) {
      if (signal.aborted) return;
      this.#failures += 1;
      this.options.onError?.(error, events);
      const delay = (this.options.retryDelayMs ?? defaultRetryDelay)(this.#failures, error);
      // Give back the batch and everything behind it, and nak whatever arrives
      // until the delay is over: nothing after the failed batch is handled first.
      this.#holdUntil = Date.now() + delay;
      for (const { msg } of batch) msg.nak(delay);
      for (const msg of this.#queue.splice(0)) msg.nak(delay);
    } finally {
      clearInterval(keepAlive);
    }
  }

  async stop(): Promise<void> {
    if (this.#stopping) return this.#done;
    this.#stopping = true;
    await this.#messages?.close();
    this.#wake?.();
    await this.#done;
    // Delivered but never handled: give them back now rather than after the ack wait.
    for (const msg of this.#queue.splice(0)) msg.nak();
    this.onClosed(this);
  }

  async abort(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.#stopping = true;
    this.#queue.length = 0;
    this.#wake?.();
    await this.#messages?.close();
    this.onClosed(this);
  }
}
