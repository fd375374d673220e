import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { NotificationType } from '../backport.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import { invalidEndpoint, notificationHeaders, withTimeout } from './common.js';
import type { SubscriptionChannel } from './types.js';

/** Options of {@link mqttChannel}: `url` (the channel connects and owns the client) or `client`. */
export type MqttChannelOptions = MqttChannelBase &
  (
    | {
        /** Broker URL (`mqtt://host:1883`, `mqtts://…`); the channel connects lazily, reconnects, and ends the client on `close()`. */
        url: string;
        /** Extra mqtt.js options (default: MQTT 5, reconnect every second, connect timeout 5 s). */
        clientOptions?: IClientOptions;
        client?: never;
      }
    | {
        /** A client you own (mqtt.js reconnects it per its own options; `close()` leaves it open). */
        client: MqttClient;
        url?: never;
        clientOptions?: never;
      }
  );

interface MqttChannelBase {
  /** QoS of notifications (default 1: `send` resolves on PUBACK; 2: on PUBCOMP; 0: at-most-once, no acknowledgement). */
  qos?: 0 | 1 | 2;
  /** Prepended to every topic (joined with `/`), e.g. `fhir` → `fhir/labs/final`; confines subscriptions to a namespace. */
  topicPrefix?: string;
  /** The custom channel code subscriptions name in `backport-channel-type` (default `mqtt`). */
  type?: string;
  /** Time to wait for the broker's acknowledgement without `backport-timeout`, in ms (default 10,000). */
  publishTimeoutMs?: number;
  /** Time to wait for a (re)connection before reporting a failure, in ms (default 5,000). */
  connectTimeoutMs?: number;
}

/** The MQTT channel: a {@link SubscriptionChannel} with the topic resolution it uses. */
export interface MqttChannel extends SubscriptionChannel {
  /** The MQTT topic a subscription's notifications go to (throws `FhirError('invalid')` for a bad endpoint). */
  topicOf(subscription: ParsedSubscription): string;
  validate(subscription: ParsedSubscription): void;
  close(): Promise<void>;
}

/** The system of Fhirstream's custom channel type codes (`backport-channel-type`). */
export const FHIRSTREAM_CHANNEL_TYPE_SYSTEM = 'https://fhirstream.dev/CodeSystem/channel-type';

const MAX_TOPIC_BYTES = 65_535;

/**
 * A channel that publishes notification Bundles (handshake, heartbeats and
 * event notifications, as JSON) to an MQTT broker.
 *
 * Subscriptions choose it with the `backport-channel-type` extension:
 * `channel: { type: 'message', _type: { extension: [{ url: BACKPORT.channelType,
 * valueCoding: { system: 'https://fhirstream.dev/CodeSystem/channel-type', code: 'mqtt' } }] },
 * endpoint: 'labs/final', payload: 'application/fhir+json' }`.
 *
 * `channel.endpoint` names the topic: a bare topic (`labs/final`), or
 * `mqtt://host[:port]/labs/final` (`mqtts://` too) whose host and port must be
 * this channel's broker — the path is the topic. The topic may not hold
 * wildcards (`+`, `#`), start with `$`, or contain NUL. Without an endpoint
 * the topic is `fhir/subscription/<id>`. `topicPrefix` is prepended in all
 * cases. Refused endpoints throw `FhirError('invalid')` (400) from `validate`
 * (see {@link subscriptionValidator}) and, when a subscription reaches the
 * channel anyway, from `send` (the subscription goes to `error`).
 *
 * Delivery is at-least-once with QoS 1 (the default): `send` resolves only
 * on the broker's PUBACK. When the broker is unreachable, the connection is
 * lost before the acknowledgement, or it does not come in time, `send`
 * throws and the delivery worker retries with backoff (a retry may
 * duplicate a notification; event numbers identify duplicates). The client
 * reconnects on its own. On MQTT 5 (the default for `url`) the headers go as
 * user properties (`fhir-subscription`, `fhir-notification-type`, each
 * `channel.header`) and `channel.payload` as the content type.
 *
 * @example
 * ```ts
 * const mqtt = mqttChannel({ url: 'mqtt://broker:1883', topicPrefix: 'fhir' });
 * const subs = createSubscriptionEngine({ store, baseUrl, channels: [mqtt] });
 * ```
 */
export function mqttChannel(options: MqttChannelOptions): MqttChannel {
  const qos = options.qos ?? 1;
  const prefix = (options.topicPrefix ?? '').replace(/\/+$/, '');
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const owned = options.url !== undefined;
  const broker = brokerAddress(options);
  let client: MqttClient | undefined = options.client;
  let lastError: Error | undefined;
  let closed = false;
  const onError = (error: Error) => {
    lastError = error;
  };
  client?.on('error', onError);

  const clientNow = (): MqttClient => {
    if (client) return client;
    client = connect(options.url!, {
      protocolVersion: 5,
      reconnectPeriod: 1000,
      connectTimeout: connectTimeoutMs,
      clientId: `fhirstream-${randomBytes(6).toString('hex')}`,
      ...options.clientOptions,
    });
    client.on('error', onError);
    return client;
  };

  /** The client once connected, or throw (the worker retries). */
  const ready = async (): Promise<MqttClient> => {
    if (closed) throw new Error('The MQTT channel is closed');
    const c = clientNow();
    if (c.connected) return c;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        c.off('connect', onConnect);
        c.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onConnect = () => done();
      const onClose = () => done(notConnected());
      const timer = setTimeout(() => done(notConnected()), connectTimeoutMs);
      c.on('connect', onConnect);
      // A failed (re)connection attempt ends with `close`: fail fast (mqtt.js keeps reconnecting).
      c.on('close', onClose);
    });
    return c;
  };
  const notConnected = () =>
    new Error(
      `MQTT broker ${broker ? `${broker.hostname}:${broker.port}` : ''} is not connected${lastError ? `: ${lastError.message}` : ''}`,
    );

  const topicOf = (sub: ParsedSubscription): string => {
    const topic = endpointTopic(sub, broker);
    const full = prefix ? `${prefix}/${topic}` : topic;
    if (Buffer.byteLength(full) > MAX_TOPIC_BYTES) throw invalidEndpoint('The MQTT topic is too long');
    return full;
  };

  const publish = (c: MqttClient, topic: string, payload: string, opts: IClientPublishOptions) =>
    new Promise<void>((resolve, reject) => {
      const onClose = () => {
        c.off('close', onClose);
        reject(new Error(`MQTT connection lost before the broker acknowledged ${topic}`));
      };
      if (qos > 0) c.on('close', onClose);
      c.publish(topic, payload, opts, (error) => {
        c.off('close', onClose);
        if (error) reject(error);
        else resolve();
      });
    });

  return {
    type: options.type ?? 'mqtt',
    handshake: 'activation',
    topicOf,
    validate(sub) {
      topicOf(sub);
    },
    async send(sub, bundle, type: NotificationType) {
      const topic = topicOf(sub);
      const c = await ready();
      const headers = notificationHeaders(sub, type);
      const opts: IClientPublishOptions = { qos };
      if (c.options.protocolVersion === 5) {
        const { 'content-type': contentType, ...userProperties } = headers;
        opts.properties = { contentType: contentType!, userProperties };
      }
      const timeoutMs = sub.timeoutSeconds ? sub.timeoutSeconds * 1000 : (options.publishTimeoutMs ?? 10_000);
      await withTimeout(
        publish(c, topic, JSON.stringify(bundle), opts),
        timeoutMs,
        `MQTT broker did not acknowledge ${topic} within ${timeoutMs} ms`,
      );
      return 'sent';
    },
    async close() {
      if (closed) return;
      closed = true;
      const c = client;
      if (!c) return;
      if (!owned) {
        c.off('error', onError);
        return;
      }
      // Graceful first (in-flight acknowledgements), then forced.
      await withTimeout(c.endAsync(), 2000, 'end').catch(() => c.endAsync(true));
    },
  };
}

/** The broker this channel publishes to, when known. */
function brokerAddress(options: MqttChannelOptions): { hostname: string; port: number } | undefined {
  if (options.url !== undefined) {
    try {
      const u = new URL(options.url);
      return { hostname: u.hostname.toLowerCase(), port: Number(u.port) || defaultPort(u.protocol) };
    } catch {
      return undefined;
    }
  }
  const o = options.client?.options;
  const hostname = o?.hostname ?? o?.host;
  if (!hostname) return undefined;
  return { hostname: hostname.toLowerCase(), port: o?.port ?? defaultPort(`${o?.protocol ?? 'mqtt'}:`) };
}

const defaultPort = (protocol: string) =>
  protocol === 'mqtts:' || protocol === 'ssl:'
    ? 8883
    : protocol === 'wss:'
      ? 443
      : protocol === 'ws:'
        ? 80
        : 1883;

/** The topic named by a subscription's endpoint (before the prefix). */
function endpointTopic(
  sub: ParsedSubscription,
  broker: { hostname: string; port: number } | undefined,
): string {
  const endpoint = sub.endpoint;
  if (endpoint === undefined) return `fhir/subscription/${sub.id}`;
  let topic = endpoint;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) {
    let u: URL;
    try {
      u = new URL(endpoint);
    } catch {
      throw invalidEndpoint(`channel.endpoint is not a valid URL: ${endpoint}`);
    }
    if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:')
      throw invalidEndpoint(`An MQTT channel.endpoint is a topic or an mqtt(s):// URL, not ${u.protocol}//`);
    const port = Number(u.port) || defaultPort(u.protocol);
    if (broker && (u.hostname.toLowerCase() !== broker.hostname || port !== broker.port))
      throw invalidEndpoint(
        `channel.endpoint names broker ${u.hostname}:${port}; this server publishes to ${broker.hostname}:${broker.port} (or give a bare topic)`,
      );
    if (u.search || u.hash) throw invalidEndpoint('An MQTT channel.endpoint takes no query or fragment');
    try {
      topic = decodeURIComponent(u.pathname.slice(1));
    } catch {
      throw invalidEndpoint(`channel.endpoint has a malformed path: ${endpoint}`);
    }
  }
  if (!topic) throw invalidEndpoint('The MQTT topic (channel.endpoint) is empty');
  if (/[+#]/.test(topic))
    throw invalidEndpoint(`An MQTT topic to publish to cannot hold wildcards (+, #): ${topic}`);
  if (topic.startsWith('$')) throw invalidEndpoint(`MQTT topics starting with $ are reserved: ${topic}`);
  if (topic.includes('\u0000')) throw invalidEndpoint('An MQTT topic cannot contain NUL');
  return topic;
}
