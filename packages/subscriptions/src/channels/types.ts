import type { NotificationType } from '../backport.js';
import type { Bundle } from '../fhir-types.js';
import type { ParsedSubscription } from '../parse-subscription.js';

/**
 * A notification channel. `rest-hook` and `websocket` are built in; add
 * others (a message broker, a queue) with a custom code that subscriptions
 * name through the `backport-channel-type` extension on `channel.type`.
 *
 * @example
 * ```ts
 * const logChannel: SubscriptionChannel = {
 *   type: 'log', handshake: 'none',
 *   async send(sub, bundle) { console.log(sub.id, bundle.entry.length); return 'sent'; },
 * };
 * createSubscriptionEngine({ store, baseUrl, channels: [logChannel] });
 * ```
 */
export interface SubscriptionChannel {
  /** The `channel.type` code, or the custom `backport-channel-type` code. */
  readonly type: string;
  /**
   * `activation`: a handshake must be accepted before events flow (`requested` → `active`, or `error`);
   * `bind`: a handshake goes to each client that binds (websocket); `none`: active at once.
   */
  readonly handshake: 'activation' | 'bind' | 'none';
  /**
   * Deliver one notification. Resolve `'sent'` once the receiver accepted it;
   * `'unavailable'` when no receiver is there now (nothing is lost: it is
   * sent when the subscription is woken again); throw to retry with backoff.
   */
  send(
    subscription: ParsedSubscription,
    bundle: Bundle,
    type: NotificationType,
  ): Promise<'sent' | 'unavailable'>;
  /**
   * Refuse a subscription this channel cannot serve (a bad `channel.endpoint`…):
   * throw `FhirError('invalid')` (400). Optional; see {@link subscriptionValidator}
   * for running it when a Subscription is written.
   */
  validate?(subscription: ParsedSubscription): void;
  close?(): Promise<void>;
}
