import { randomBytes } from 'node:crypto';
import { FhirError } from '@fhirstream/core';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKPORT } from '../backport.js';
import type { Bundle } from '../fhir-types.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import { eventNumbers, focusRefs, startApp, typeOf, until } from '../testing/harness.js';
import { subscriptionValidator } from './common.js';
import { FHIRSTREAM_CHANNEL_TYPE_SYSTEM, mqttChannel } from './mqtt.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.testutil.js';

const MQTT_URL = process.env.FHIRSTREAM_MQTT_URL;

function mqttSubscription(endpoint: string | undefined, code = 'mqtt') {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'mqtt test',
    criteria: 'Observation?status=final',
    channel: {
      type: 'message',
      _type: {
        extension: [
          { url: BACKPORT.channelType, valueCoding: { system: FHIRSTREAM_CHANNEL_TYPE_SYSTEM, code } },
        ],
      },
      ...(endpoint === undefined ? {} : { endpoint }),
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: BACKPORT.payloadContent, valueCode: 'id-only' }] },
      header: ['X-Source: test'],
    },
  };
}

const sub = (endpoint: string | undefined, id = 's1') =>
  ({ id, endpoint, headers: [], channelType: 'mqtt' }) as unknown as ParsedSubscription;

describe('mqttChannel endpoint validation', () => {
  const channel = mqttChannel({ url: 'mqtt://broker.example:1883', topicPrefix: 'fhir/' });

  it('maps bare topics and mqtt:// URLs of its own broker to prefixed topics', () => {
    expect(channel.topicOf(sub('labs/final'))).toBe('fhir/labs/final');
    expect(channel.topicOf(sub('mqtt://broker.example/labs/final'))).toBe('fhir/labs/final');
    expect(channel.topicOf(sub('mqtt://BROKER.example:1883/labs%20x/final'))).toBe('fhir/labs x/final');
    expect(channel.topicOf(sub(undefined, 'abc'))).toBe('fhir/fhir/subscription/abc');
    expect(mqttChannel({ url: 'mqtt://h' }).topicOf(sub('a/b'))).toBe('a/b');
  });

  it.each([
    ['labs/+/final', 'wildcards'],
    ['labs/#', 'wildcards'],
    ['$SYS/broker', 'reserved'],
    ['mqtt://other.example/labs', 'names broker other.example:1883'],
    ['mqtt://broker.example:1884/labs', 'names broker'],
    ['mqtt://broker.example', 'empty'],
    ['https://broker.example/labs', 'not https:'],
    ['mqtt://broker.example/labs?x=1', 'no query'],
    ['a\u0000b', 'NUL'],
  ])('refuses endpoint %s with 400', (endpoint, message) => {
    let error: unknown;
    try {
      channel.validate(sub(endpoint));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FhirError);
    expect((error as FhirError).status).toBe(400);
    expect((error as FhirError).message).toContain(message);
  });

  it('refuses a bad endpoint when the Subscription is written (subscriptionValidator)', async () => {
    const app = await startApp({ engine: { channels: [channel] } });
    try {
      const validate = subscriptionValidator(app.engine, [channel]);
      expect(() => validate(mqttSubscription('labs/final'))).not.toThrow();
      expect(() => validate(mqttSubscription('labs/#'))).toThrow(/wildcards/);
      expect(() => validate({ resourceType: 'Patient' })).not.toThrow();
      // Unknown channel codes are the engine's 400.
      expect(() => validate(mqttSubscription('labs', 'nope'))).toThrow(/not supported/);
    } finally {
      await app.close();
      await channel.close();
    }
  });
});

interface Got {
  topic: string;
  bundle: Bundle;
  packet: IPublishPacket;
}

async function subscriber(url: string, topic: string): Promise<{ client: MqttClient; got: Got[] }> {
  const client = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
  const got: Got[] = [];
  client.on('message', (t, payload, packet) =>
    got.push({ topic: t, bundle: JSON.parse(payload.toString()), packet }),
  );
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, got };
}

const rand = () => randomBytes(6).toString('hex');
const final = () => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });

/** Distinct event numbers received, checking each notification is contiguous. */
function numbersOf(got: Got[]): number[] {
  const all = new Set<number>();
  for (const g of got.filter((x) => typeOf(x.bundle) === 'event-notification')) {
    const n = eventNumbers(g.bundle);
    expect(n).toEqual(n.map((_, i) => n[0]! + i));
    for (const x of n) all.add(x);
  }
  return [...all].sort((a, b) => a - b);
}

describe.skipIf(!MQTT_URL)(
  MQTT_URL ? `mqttChannel on ${MQTT_URL}` : 'mqttChannel (skipped: FHIRSTREAM_MQTT_URL not set)',
  () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
      cleanup.length = 0;
    });

    it('publishes the handshake and event notifications with QoS 1, headers as MQTT 5 properties', async () => {
      const prefix = `fhirstream-test/${rand()}`;
      const topic = `${prefix}/labs/final`;
      const { client, got } = await subscriber(MQTT_URL!, topic);
      cleanup.push(() => client.endAsync());
      const channel = mqttChannel({ url: MQTT_URL!, topicPrefix: prefix });
      const app = await startApp({ engine: { channels: [channel] } });
      cleanup.push(() => app.close());

      const u = new URL(MQTT_URL!);
      const res = await app.request('Subscription', {
        body: mqttSubscription(`${u.protocol}//${u.host}/labs/final`),
      });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      await until(async () => (await app.request(`Subscription/${id}`)).body.status === 'active', 10_000);
      await until(() => got.length === 1, 10_000, 'handshake');
      expect(typeOf(got[0]!.bundle)).toBe('handshake');
      expect(got[0]!.packet.qos).toBe(1);
      expect(got[0]!.packet.properties?.contentType).toBe('application/fhir+json');
      expect(got[0]!.packet.properties?.userProperties).toMatchObject({
        'fhir-subscription': id,
        'fhir-notification-type': 'handshake',
        'x-source': 'test',
      });

      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await app.request('Observation', { body: final() })).body.id);
      await until(() => numbersOf(got).length === 5, 10_000, 'events');
      expect(numbersOf(got)).toEqual([1, 2, 3, 4, 5]);
      const events = got.filter((g) => typeOf(g.bundle) === 'event-notification');
      expect(events.every((e) => e.topic === topic)).toBe(true);
      expect(events.flatMap((e) => focusRefs(e.bundle))).toEqual(
        ids.map((o) => `${app.base}/Observation/${o}`),
      );
      expect(events[0]!.packet.properties?.userProperties).toMatchObject({
        'fhir-notification-type': 'event-notification',
      });
      expect((await app.engine.state(id))?.delivered).toBe(5);
    });

    it('retries through an unreachable broker and a lost connection without losing events', async () => {
      const target = new URL(MQTT_URL!);
      const proxy: TcpProxy = await startTcpProxy({
        host: target.hostname,
        port: Number(target.port) || 1883,
      });
      cleanup.push(() => proxy.close());
      await proxy.down(); // the broker's port is closed at first
      const topic = `fhirstream-test/${rand()}/retry`;
      const { client, got } = await subscriber(MQTT_URL!, topic);
      cleanup.push(() => client.endAsync());
      const proxied = new URL(MQTT_URL!);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const channel = mqttChannel({
        url: proxied.toString(),
        clientOptions: { reconnectPeriod: 50 },
        connectTimeoutMs: 1000,
        publishTimeoutMs: 1000,
      });
      const errors: unknown[] = [];
      const app = await startApp({
        engine: { channels: [channel], onError: (e) => errors.push(e) },
      });
      cleanup.push(() => app.close());

      const id = (await app.request('Subscription', { body: mqttSubscription(topic) })).body.id as string;
      await until(() => errors.length >= 2, 10_000, 'failed handshakes');
      expect((await app.engine.state(id))?.status).toBe('error');
      expect(String(errors[0])).toMatch(/not connected/);

      await proxy.up();
      await until(async () => (await app.engine.state(id))?.status === 'active', 10_000, 'active');
      await until(() => got.some((g) => typeOf(g.bundle) === 'handshake'), 10_000, 'handshake');

      const ids: string[] = [];
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) ids.push((await app.request('Observation', { body: final() })).body.id);
      };
      await write(3);
      await until(() => numbersOf(got).length === 3, 10_000, 'first events');
      // Connection lost mid-way, then the broker unreachable for a moment.
      const failuresBefore = errors.length;
      proxy.drop();
      await write(3);
      await proxy.down();
      await write(2);
      await new Promise((r) => setTimeout(r, 300));
      await proxy.up();
      await until(() => numbersOf(got).length === 8, 15_000, 'all events');
      expect(numbersOf(got)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(errors.length).toBeGreaterThan(failuresBefore);
      // Focus of every event number is the right Observation (duplicates agree).
      const focusOf = new Map<number, string>();
      for (const g of got.filter((x) => typeOf(x.bundle) === 'event-notification')) {
        const n = eventNumbers(g.bundle);
        const f = focusRefs(g.bundle);
        n.forEach((num, i) => {
          expect(focusOf.get(num) ?? f[i]).toBe(f[i]);
          focusOf.set(num, f[i]!);
        });
      }
      expect([...focusOf.keys()].sort((a, b) => a - b).map((n) => focusOf.get(n))).toEqual(
        ids.map((o) => `${app.base}/Observation/${o}`),
      );
      await until(async () => (await app.engine.state(id))?.delivered === 8, 5000, 'delivered');
    });

    it('refuses an endpoint the channel cannot publish to (400), and puts one stored anyway into error', async () => {
      const channel = mqttChannel({ url: MQTT_URL! });
      const app = await startApp({ engine: { channels: [channel] } });
      cleanup.push(() => app.close());
      const refused = await app.request('Subscription', { body: mqttSubscription('labs/+') });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toMatch(/wildcards/);
      const { results } = await app.store.commit([
        { op: 'create', resource: mqttSubscription('labs/+') as never },
      ]);
      const id = results[0]!.id;
      await until(async () => (await app.request(`Subscription/${id}`)).body.status === 'error', 10_000);
      expect((await app.request(`Subscription/${id}`)).body.error).toMatch(/wildcards/);
    });

    it('closes cleanly, and refuses to send once closed', async () => {
      const channel = mqttChannel({ url: MQTT_URL! });
      const topic = `fhirstream-test/${rand()}/close`;
      const { client, got } = await subscriber(MQTT_URL!, topic);
      cleanup.push(() => client.endAsync());
      const bundle = { resourceType: 'Bundle', id: 'b1', type: 'history', entry: [] } as unknown as Bundle;
      await channel.send(sub(topic), bundle, 'heartbeat');
      await until(() => got.length === 1);
      await channel.close();
      await channel.close();
      await expect(channel.send(sub(topic), bundle, 'heartbeat')).rejects.toThrow(/closed/);
    });
  },
);
