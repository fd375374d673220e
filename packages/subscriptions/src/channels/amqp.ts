import { randomUUID } from 'node:crypto';
import { type ChannelModel, type ConfirmChannel, connect, type Options } from 'amqplib';
import type { NotificationType } from '../backport.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import { invalidEndpoint, notificationHeaders, withTimeout } from './common.js';
import type { SubscriptionChannel } from './types.js';

/** Options of {@link amqpChannel}: `url` (the channel connects, reconnects and closes) or `connection`. */
export type AmqpChannelOptions = AmqpChannelBase &
  (
    | {
        /** Broker URL (`amqp://user:pass@host:5672/vhost`) or amqplib connect options. */
        url: string | Options.Connect;
        /** Socket options of amqplib's `connect`. */
        socketOptions?: unknown;
        connection?: never;
      }
    | {
        /** A connection you own: the channel opens confirm channels on it (again after a channel error) but never closes or replaces it. */
        connection: ChannelModel;
        url?: never;
        socketOptions?: never;
      }
  );

interface AmqpChannelBase {
  /** The exchange notifications are published to (default `fhirstream.notifications`; asserted durable). */
  exchange?: string;
  /** Its type when asserted (default `topic`). */
  exchangeType?: 'topic' | 'direct' | 'fanout' | 'headers';
  /** Assert the exchange on connecting (default true; false when it is provisioned elsewhere). */
  assertExchange?: boolean;
  /** Prepended to every routing key (joined with `.`), e.g. `fhir` → `fhir.labs.final`. */
  routingKeyPrefix?: string;
  /**
   * Publish `mandatory`: a notification no queue is bound for is returned by
   * the broker and `send` throws (retried with backoff) instead of it being
   * dropped (default false).
   */
  mandatory?: boolean;
  /** The custom channel code subscriptions name in `backport-channel-type` (default `amqp`). */
  type?: string;
  /** Time to wait for the broker's confirm without `backport-timeout`, in ms (default 10,000). */
  publishTimeoutMs?: number;
  /** Time to wait for a (re)connection, in ms (default 5,000). */
  connectTimeoutMs?: number;
}

/** The AMQP channel: a {@link SubscriptionChannel} with the routing key resolution it uses. */
export interface AmqpChannel extends SubscriptionChannel {
  /** The routing key of a subscription's notifications (throws `FhirError('invalid')` for a bad endpoint). */
  routingKeyOf(subscription: ParsedSubscription): string;
  validate(subscription: ParsedSubscription): void;
  readonly exchange: string;
  close(): Promise<void>;
}

interface Open {
  model: ChannelModel;
  channel: ConfirmChannel;
  gen: number;
}

/**
 * A channel that publishes notification Bundles (handshake, heartbeats and
 * event notifications, as JSON) to an AMQP 0-9-1 exchange (RabbitMQ).
 *
 * Subscriptions choose it with the `backport-channel-type` extension:
 * `channel: { type: 'message', _type: { extension: [{ url: BACKPORT.channelType,
 * valueCoding: { system: 'https://fhirstream.dev/CodeSystem/channel-type', code: 'amqp' } }] },
 * endpoint: 'labs.final', payload: 'application/fhir+json' }`.
 *
 * `channel.endpoint` is the routing key (1–255 bytes, no `*`/`#` wildcards),
 * always on this channel's exchange: URL endpoints are refused, since in an
 * `amqp://host/…` URI the path is the virtual host, and letting a
 * subscription pick any exchange of the broker would let it write into other
 * applications' exchanges. Without an endpoint the key is
 * `fhir.subscription.<id>`. Refused endpoints throw `FhirError('invalid')`
 * (400) from `validate` (see {@link subscriptionValidator}) and from `send`.
 *
 * Messages are persistent, carry `content-type` (`channel.payload`),
 * `message-id` (the Bundle id), `app-id` `fhirstream` and the headers
 * `fhir-subscription`, `fhir-notification-type` and each `channel.header`.
 * They are published on a confirm channel: `send` resolves on the broker's
 * ack, throws on a nack, a lost connection or a timeout, and the delivery
 * worker retries with backoff (at-least-once: a retry may duplicate). After
 * a connection loss the next `send` reconnects.
 *
 * @example
 * ```ts
 * const amqp = amqpChannel({ url: 'amqp://guest:guest@rabbit:5672' });
 * const subs = createSubscriptionEngine({ store, baseUrl, channels: [amqp] });
 * ```
 */
export function amqpChannel(options: AmqpChannelOptions): AmqpChannel {
  const exchange = options.exchange ?? 'fhirstream.notifications';
  const exchangeType = options.exchangeType ?? 'topic';
  const prefix = (options.routingKeyPrefix ?? '').replace(/\.+$/, '');
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const owned = options.connection === undefined;
  /** Message ids the broker returned as unroutable (`mandatory`). */
  const returned = new Set<string>();
  let current: Promise<Open> | undefined;
  let generation = 0;
  let closed = false;

  /** Drop a connection (owned) or confirm channel (given connection): the next send opens anew. */
  const discard = (o: Open) =>
    (owned ? o.model.close() : o.channel.close()).catch(() => undefined) as Promise<unknown>;

  const open = async (): Promise<Open> => {
    const gen = ++generation;
    const lost = () => {
      if (generation === gen) current = undefined;
    };
    const model =
      options.connection ??
      (await withTimeout(
        connect(options.url!, options.socketOptions),
        connectTimeoutMs,
        `AMQP broker not reachable within ${connectTimeoutMs} ms`,
      ));
    let channel: ConfirmChannel | undefined;
    try {
      if (owned) {
        model.on('error', () => undefined); // a 'close' follows
        model.on('close', lost);
      }
      channel = await model.createConfirmChannel();
      const ch = channel;
      ch.on('error', () => undefined); // a 'close' follows
      ch.on('close', () => {
        lost();
        if (owned) void model.close().catch(() => undefined);
      });
      ch.on('return', (msg: { properties: { messageId?: string } }) => {
        if (msg.properties.messageId) returned.add(msg.properties.messageId);
      });
      if (options.assertExchange !== false)
        await ch.assertExchange(exchange, exchangeType, { durable: true });
      return { model, channel: ch, gen };
    } catch (error) {
      if (owned) await model.close().catch(() => undefined);
      else await channel?.close().catch(() => undefined);
      throw error;
    }
  };

  const ready = (): Promise<Open> => {
    if (closed) return Promise.reject(new Error('The AMQP channel is closed'));
    if (!current) {
      const p = open();
      current = p;
      p.catch(() => {
        if (current === p) current = undefined;
      });
    }
    return current;
  };

  const routingKeyOf = (sub: ParsedSubscription): string => {
    const key = endpointKey(sub);
    const full = prefix ? `${prefix}.${key}` : key;
    if (Buffer.byteLength(full) > 255) throw invalidEndpoint('The AMQP routing key is longer than 255 bytes');
    return full;
  };

  return {
    type: options.type ?? 'amqp',
    handshake: 'activation',
    exchange,
    routingKeyOf,
    validate(sub) {
      routingKeyOf(sub);
    },
    async send(sub, bundle, type: NotificationType) {
      const key = routingKeyOf(sub);
      const used = await ready();
      const { channel } = used;
      const { 'content-type': contentType, ...headers } = notificationHeaders(sub, type);
      const messageId = typeof bundle.id === 'string' ? bundle.id : randomUUID();
      const timeoutMs = sub.timeoutSeconds ? sub.timeoutSeconds * 1000 : (options.publishTimeoutMs ?? 10_000);
      const confirmed = new Promise<void>((resolve, reject) => {
        try {
          channel.publish(
            exchange,
            key,
            Buffer.from(JSON.stringify(bundle)),
            {
              persistent: true,
              contentType: contentType!,
              messageId,
              timestamp: Math.floor(Date.now() / 1000),
              appId: 'fhirstream',
              headers,
              mandatory: options.mandatory ?? false,
            },
            (error: unknown) =>
              error ? reject(asError(error, 'AMQP broker nacked the message')) : resolve(),
          );
        } catch (error) {
          reject(asError(error, 'AMQP publish failed'));
        }
      });
      try {
        await withTimeout(confirmed, timeoutMs, `AMQP broker did not confirm ${key} within ${timeoutMs} ms`);
      } catch (error) {
        // The channel's state is unknown: start over on the next send.
        if (generation === used.gen) current = undefined;
        void discard(used);
        throw error;
      } finally {
        confirmed.catch(() => undefined);
      }
      if (returned.delete(messageId))
        throw new Error(`No queue is bound to ${exchange} for routing key ${key} (message returned)`);
      return 'sent';
    },
    async close() {
      if (closed) return;
      closed = true;
      const c = current;
      current = undefined;
      const o = await c?.catch(() => undefined);
      if (o) await discard(o);
    },
  };
}

const asError = (error: unknown, fallback: string): Error =>
  error instanceof Error ? error : new Error(error ? `${fallback}: ${String(error)}` : fallback);

/** The routing key named by a subscription's endpoint (before the prefix). */
function endpointKey(sub: ParsedSubscription): string {
  const endpoint = sub.endpoint;
  if (endpoint === undefined) return `fhir.subscription.${sub.id}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint))
    throw invalidEndpoint(
      `An AMQP channel.endpoint is a routing key on this server's exchange (e.g. labs.final), not a URL: ${endpoint}`,
    );
  if (!endpoint) throw invalidEndpoint('The AMQP routing key (channel.endpoint) is empty');
  if (/[*#]/.test(endpoint))
    throw invalidEndpoint(`An AMQP routing key to publish with cannot hold wildcards (*, #): ${endpoint}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters
  if (/[\u0000-\u001f\u007f]/.test(endpoint))
    throw invalidEndpoint('An AMQP routing key cannot hold control characters');
  return endpoint;
}
