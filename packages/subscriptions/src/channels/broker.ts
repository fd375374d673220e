import type { NotificationType } from '../backport.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import type { SubscriptionChannel } from './types.js';

/** A message broker by shape (NATS JetStream, Redis Streams, Kafka… wrapped in a few lines). */
export interface MessageBroker {
  /** Resolve once the broker has durably accepted the message. */
  publish(subject: string, payload: string, headers: Record<string, string>): Promise<void>;
}

/** Options of {@link brokerChannel}. */
export interface BrokerChannelOptions {
  broker: MessageBroker;
  /** The custom channel code subscriptions name in `backport-channel-type` (default `message-broker`). */
  type?: string;
  /** The subject of a subscription (default: its `channel.endpoint`, else `fhir.subscription.<id>`). */
  subject?(subscription: ParsedSubscription): string;
  /** Send handshakes and heartbeats too (default: event notifications only). */
  includeControl?: boolean;
}

/**
 * A channel that publishes notification Bundles to a message broker.
 * Subscriptions choose it with
 * `channel: { type: 'message', _type: { extension: [{ url: BACKPORT.channelType, valueCoding: { code: 'message-broker' } }] }, endpoint: 'fhir.labs' }`.
 *
 * @example
 * ```ts
 * const channel = brokerChannel({ broker: { publish: (s, p, h) => js.publish(s, p, { headers: h }).then(() => {}) } });
 * createSubscriptionEngine({ store, baseUrl, channels: [channel] });
 * ```
 */
export function brokerChannel(options: BrokerChannelOptions): SubscriptionChannel {
  const subjectOf = options.subject ?? ((s: ParsedSubscription) => s.endpoint ?? `fhir.subscription.${s.id}`);
  return {
    type: options.type ?? 'message-broker',
    handshake: 'none',
    async send(sub, bundle, type: NotificationType) {
      if (!options.includeControl && type !== 'event-notification') return 'sent';
      const headers: Record<string, string> = {
        'content-type': sub.payloadMime ?? 'application/fhir+json',
        'fhir-subscription': sub.id,
        'fhir-notification-type': type,
      };
      for (const h of sub.headers) {
        const i = h.indexOf(':');
        if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      await options.broker.publish(subjectOf(sub), JSON.stringify(bundle), headers);
      return 'sent';
    },
  };
}
