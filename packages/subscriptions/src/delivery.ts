/**
 * Delivery: one worker per subscription sends its numbered events in order,
 * from the durable `delivered` pointer, one notification in flight at a
 * time — handshake first where the channel wants one, heartbeats when idle,
 * exponential backoff on failure, `error` status after repeated failures and
 * back to `active` on the first success. Nothing is skipped: a failing
 * notification is retried until it is accepted (at-least-once).
 */
import { type BackoffOptions, backoffDelay } from '@fhirstream/core';
import type { NotificationType, SubscriptionStatusCode } from './backport.js';
import type { SubscriptionChannel } from './channels/types.js';
import type { Bundle } from './fhir-types.js';
import type { DeliveryState, SubscriptionLedger } from './ledger.js';
import type { NumberedEvent } from './notification.js';
import type { ParsedSubscription } from './parse-subscription.js';

/** What the workers need from the engine. */
export interface DeliveryDeps {
  ledger: SubscriptionLedger;
  channel(type: string): SubscriptionChannel | undefined;
  /** Events `from … to` of a subscription, in order. */
  events(sub: ParsedSubscription, from: number, to: number): Promise<NumberedEvent[]>;
  bundle(
    sub: ParsedSubscription,
    state: DeliveryState,
    type: NotificationType,
    eventsSinceStart: number,
    events?: NumberedEvent[],
  ): Bundle;
  backoff: BackoffOptions;
  errorAfterFailures: number;
  maxEventsPerNotification: number;
  /** A status change, to reflect into the Subscription resource. */
  onStatus(sub: ParsedSubscription, status: SubscriptionStatusCode, error?: string): void;
  onError?(sub: ParsedSubscription, error: unknown, attempts: number): void;
}

/** One subscription's delivery loop. */
export class DeliveryWorker {
  #sub: ParsedSubscription;
  #state: DeliveryState | undefined;
  #stopped = false;
  #woken = false;
  #wake: (() => void) | undefined;
  /** Whether the current sleep is a backoff (only an update or stop cuts it short). */
  #backingOff = false;
  #done: Promise<void> | undefined;

  constructor(
    sub: ParsedSubscription,
    private readonly deps: DeliveryDeps,
  ) {
    this.#sub = sub;
  }

  get subscription(): ParsedSubscription {
    return this.#sub;
  }

  /** The delivery state (undefined until loaded). */
  get state(): DeliveryState | undefined {
    return this.#state;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** The subscription changed (re-read on the next turn; a changed fingerprint re-handshakes). */
  update(sub: ParsedSubscription): void {
    this.#sub = sub;
    this.#woken = true;
    this.#wake?.();
  }

  /** There may be something to send (new events, a client bound). Does not cut a backoff short. */
  wake(): void {
    this.#woken = true;
    if (!this.#backingOff) this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#done;
  }

  async #save(): Promise<void> {
    await this.deps.ledger.saveDelivery(this.#sub.id, this.#state!);
  }

  #setStatus(status: SubscriptionStatusCode, error?: string): void {
    const state = this.#state!;
    if (state.status === status) return;
    state.status = status;
    this.deps.onStatus(this.#sub, status, error);
  }

  async #run(): Promise<void> {
    const { deps } = this;
    const channel0 = deps.channel(this.#sub.channelType);
    this.#state = (await deps.ledger.delivery(this.#sub.id)) ?? {
      seq: 0,
      delivered: 0,
      status: channel0?.handshake === 'activation' ? 'requested' : 'active',
      failures: 0,
    };
    if (channel0?.handshake !== 'activation' && this.#sub.status === 'requested')
      deps.onStatus(this.#sub, 'active');
    while (!this.#stopped) {
      this.#woken = false;
      const sub = this.#sub;
      const state = this.#state;
      const channel = deps.channel(sub.channelType);
      if (!channel) return;
      const needsHandshake = channel.handshake === 'activation' && state.handshaken !== sub.fingerprint;
      try {
        if (needsHandshake) {
          const bundle = deps.bundle(
            sub,
            { ...state, status: 'requested' },
            'handshake',
            deps.ledger.eventCount(sub.id),
          );
          await channel.send(sub, bundle, 'handshake');
          state.handshaken = sub.fingerprint;
          state.failures = 0;
          delete state.lastError;
          state.lastSentAt = Date.now();
          this.#setStatus('active');
          await this.#save();
          continue;
        }
        const total = deps.ledger.eventCount(sub.id);
        if (total > state.delivered) {
          const to = Math.min(total, state.delivered + (sub.maxCount ?? deps.maxEventsPerNotification));
          const events = await deps.events(sub, state.delivered + 1, to);
          const bundle = deps.bundle(sub, { ...state, status: 'active' }, 'event-notification', to, events);
          const result = await channel.send(sub, bundle, 'event-notification');
          if (result === 'unavailable') {
            await this.#idle();
            continue;
          }
          state.delivered = to;
          state.failures = 0;
          delete state.lastError;
          state.lastSentAt = Date.now();
          this.#setStatus('active');
          await this.#save();
          continue;
        }
        const period = sub.heartbeatSeconds ? sub.heartbeatSeconds * 1000 : undefined;
        if (period !== undefined && Date.now() - (state.lastSentAt ?? 0) >= period) {
          const bundle = deps.bundle(sub, state, 'heartbeat', total);
          const result = await channel.send(sub, bundle, 'heartbeat');
          state.lastSentAt = Date.now();
          if (result === 'sent') this.#setStatus('active');
          continue;
        }
        await this.#idle();
      } catch (error) {
        state.failures += 1;
        state.lastError = error instanceof Error ? error.message : String(error);
        deps.onError?.(sub, error, state.failures);
        if (needsHandshake || state.failures >= deps.errorAfterFailures)
          this.#setStatus('error', state.lastError);
        await this.#save().catch(() => undefined);
        this.#backingOff = true;
        this.#woken = false;
        await this.#sleep(backoffDelay(state.failures, deps.backoff));
        this.#backingOff = false;
      }
    }
  }

  /** Wait for a wake-up, or until the next heartbeat is due. */
  #idle(): Promise<void> {
    const period = this.#sub.heartbeatSeconds ? this.#sub.heartbeatSeconds * 1000 : undefined;
    const due =
      period === undefined ? undefined : Math.max(10, (this.#state!.lastSentAt ?? 0) + period - Date.now());
    return this.#sleep(due);
  }

  /** Sleep `ms` (forever when undefined), cut short by {@link wake} or {@link stop}. */
  #sleep(ms: number | undefined): Promise<void> {
    if (this.#woken || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }
}
