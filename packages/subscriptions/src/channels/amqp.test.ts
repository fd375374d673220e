import { randomBytes } from 'node:crypto';
import { FhirError } from '@fhirstream/core';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKPORT } from '../backport.js';
import type { Bundle } from '../fhir-types.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import { eventNumbers, focusRefs, startApp, typeOf, until } from '../testing/harness.js';
import { amqpChannel } from './amqp.js';
import { subscriptionValidator } from './common.js';
import { FHIRSTREAM_CHANNEL_TYPE_SYSTEM } from './mqtt.js';
import { startTcpProxy } from './tcp-proxy.testutil.js';

const AMQP_URL = process.env.FHIRSTREAM_AMQP_URL;

function amqpSubscription(endpoint: string | undefined, code = 'amqp') {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'amqp test',
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
  ({ id, endpoint, headers: [], channelType: 'amqp' }) as unknown as ParsedSubscription;

describe('amqpChannel endpoint validation', () => {
  const channel = amqpChannel({ url: 'amqp://broker.example', routingKeyPrefix: 'fhir.' });

  it('uses the endpoint as the (prefixed) routing key on its exchange', () => {
    expect(channel.exchange).toBe('fhirstream.notifications');
    expect(channel.routingKeyOf(sub('labs.final'))).toBe('fhir.labs.final');
    expect(channel.routingKeyOf(sub(undefined, 'abc'))).toBe('fhir.fhir.subscription.abc');
    expect(amqpChannel({ url: 'amqp://h', exchange: 'x' }).routingKeyOf(sub('a.b'))).toBe('a.b');
  });

  it.each([
    ['labs.*', 'wildcards'],
    ['labs.#', 'wildcards'],
    ['amqp://broker.example/exchange/labs', 'not a URL'],
    ['a\nb', 'control characters'],
    ['x'.repeat(251), 'longer than 255 bytes'],
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
      expect(() => validate(amqpSubscription('labs.final'))).not.toThrow();
      expect(() => validate(amqpSubscription('amqp://h/x/y'))).toThrow(/not a URL/);
    } finally {
      await app.close();
      await channel.close();
    }
  });
});

interface Got {
  routingKey: string;
  bundle: Bundle;
  message: ConsumeMessage;
}

const rand = () => randomBytes(6).toString('hex');
const final = () => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });

/** A consumer with its own exchange (deleted on cleanup) and exclusive queue. */
async function consumer(exchange: string) {
  const conn: ChannelModel = await connect(AMQP_URL!);
  const ch: Channel = await conn.createChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  const got: Got[] = [];
  await ch.consume(
    queue,
    (m) => {
      if (m)
        got.push({ routingKey: m.fields.routingKey, bundle: JSON.parse(m.content.toString()), message: m });
    },
    { noAck: true },
  );
  return {
    got,
    bind: (key: string) => ch.bindQueue(queue, exchange, key),
    async close() {
      await ch.deleteExchange(exchange).catch(() => undefined);
      await conn.close();
    },
  };
}

function numbersOf(got: Got[]): number[] {
  const all = new Set<number>();
  for (const g of got.filter((x) => typeOf(x.bundle) === 'event-notification')) {
    const n = eventNumbers(g.bundle);
    expect(n).toEqual(n.map((_, i) => n[0]! + i));
    for (const x of n) all.add(x);
  }
  return [...all].sort((a, b) => a - b);
}

describe.skipIf(!AMQP_URL)(
  AMQP_URL ? 'amqpChannel on RabbitMQ' : 'amqpChannel (skipped: FHIRSTREAM_AMQP_URL not set)',
  () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c().catch(() => undefined);
      cleanup.length = 0;
    });

    it('publishes persistent, confirmed handshake and event notifications with headers', async () => {
      const exchange = `fhirstream.test.${rand()}`;
      const c = await consumer(exchange);
      cleanup.push(() => c.close());
      await c.bind('fhir.labs.final');
      const channel = amqpChannel({ url: AMQP_URL!, exchange, routingKeyPrefix: 'fhir' });
      const app = await startApp({ engine: { channels: [channel] } });
      cleanup.push(() => app.close());

      const res = await app.request('Subscription', { body: amqpSubscription('labs.final') });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      await until(async () => (await app.request(`Subscription/${id}`)).body.status === 'active', 10_000);
      await until(() => c.got.length === 1, 10_000, 'handshake');
      const hs = c.got[0]!;
      expect(typeOf(hs.bundle)).toBe('handshake');
      expect(hs.routingKey).toBe('fhir.labs.final');
      expect(hs.message.properties).toMatchObject({
        contentType: 'application/fhir+json',
        deliveryMode: 2,
        appId: 'fhirstream',
        messageId: hs.bundle.id,
      });
      expect(hs.message.properties.headers).toMatchObject({
        'fhir-subscription': id,
        'fhir-notification-type': 'handshake',
        'x-source': 'test',
      });

      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await app.request('Observation', { body: final() })).body.id);
      await until(() => numbersOf(c.got).length === 5, 10_000, 'events');
      expect(numbersOf(c.got)).toEqual([1, 2, 3, 4, 5]);
      const events = c.got.filter((g) => typeOf(g.bundle) === 'event-notification');
      expect(events.flatMap((e) => focusRefs(e.bundle))).toEqual(
        ids.map((o) => `${app.base}/Observation/${o}`),
      );
      expect(events[0]!.message.properties.headers?.['fhir-notification-type']).toBe('event-notification');
      expect((await app.engine.state(id))?.delivered).toBe(5);
    });

    it('retries through an unreachable broker and a lost connection without losing events', async () => {
      const target = new URL(AMQP_URL!);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) || 5672 });
      cleanup.push(() => proxy.close());
      await proxy.down();
      const exchange = `fhirstream.test.${rand()}`;
      const c = await consumer(exchange);
      cleanup.push(() => c.close());
      await c.bind('retry');
      const proxied = new URL(AMQP_URL!);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const channel = amqpChannel({
        url: proxied.toString(),
        exchange,
        connectTimeoutMs: 2000,
        publishTimeoutMs: 2000,
      });
      const errors: unknown[] = [];
      const app = await startApp({ engine: { channels: [channel], onError: (e) => errors.push(e) } });
      cleanup.push(() => app.close());

      const id = (await app.request('Subscription', { body: amqpSubscription('retry') })).body.id as string;
      await until(() => errors.length >= 2, 10_000, 'failed handshakes');
      expect((await app.engine.state(id))?.status).toBe('error');
      expect(String(errors[0])).toMatch(/ECONNREFUSED|not reachable/);

      await proxy.up();
      await until(async () => (await app.engine.state(id))?.status === 'active', 10_000, 'active');
      await until(() => c.got.some((g) => typeOf(g.bundle) === 'handshake'), 10_000, 'handshake');

      const ids: string[] = [];
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) ids.push((await app.request('Observation', { body: final() })).body.id);
      };
      await write(3);
      await until(() => numbersOf(c.got).length === 3, 10_000, 'first events');
      const failuresBefore = errors.length;
      proxy.drop();
      await write(3);
      await proxy.down();
      await write(2);
      await new Promise((r) => setTimeout(r, 300));
      await proxy.up();
      await until(() => numbersOf(c.got).length === 8, 20_000, 'all events');
      expect(numbersOf(c.got)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(errors.length).toBeGreaterThan(failuresBefore);
      const focusOf = new Map<number, string>();
      for (const g of c.got.filter((x) => typeOf(x.bundle) === 'event-notification')) {
        const f = focusRefs(g.bundle);
        eventNumbers(g.bundle).forEach((num, i) => {
          expect(focusOf.get(num) ?? f[i]).toBe(f[i]);
          focusOf.set(num, f[i]!);
        });
      }
      expect([...focusOf.keys()].sort((a, b) => a - b).map((n) => focusOf.get(n))).toEqual(
        ids.map((o) => `${app.base}/Observation/${o}`),
      );
      await until(async () => (await app.engine.state(id))?.delivered === 8, 5000, 'delivered');
    });

    it('with mandatory, retries a notification no queue is bound for until one is', async () => {
      const exchange = `fhirstream.test.${rand()}`;
      const c = await consumer(exchange);
      cleanup.push(() => c.close());
      const channel = amqpChannel({ url: AMQP_URL!, exchange, mandatory: true });
      const errors: unknown[] = [];
      const app = await startApp({ engine: { channels: [channel], onError: (e) => errors.push(e) } });
      cleanup.push(() => app.close());
      const id = (await app.request('Subscription', { body: amqpSubscription('unbound') })).body.id as string;
      await until(() => errors.length >= 1, 10_000, 'returned handshake');
      expect(String(errors[0])).toMatch(/No queue is bound/);
      await c.bind('unbound');
      await until(async () => (await app.engine.state(id))?.status === 'active', 10_000, 'active');
      await until(() => c.got.some((g) => typeOf(g.bundle) === 'handshake'), 10_000, 'handshake');
    });

    it('uses a given connection without closing it, reopening its confirm channel', async () => {
      const exchange = `fhirstream.test.${rand()}`;
      const c = await consumer(exchange);
      cleanup.push(() => c.close());
      await c.bind('given');
      const connection = await connect(AMQP_URL!);
      cleanup.push(() => connection.close());
      const bundle = { resourceType: 'Bundle', id: 'b1', type: 'history', entry: [] } as unknown as Bundle;
      // An exchange asserted with another type closes the channel: reported, then retried anew.
      const mismatched = amqpChannel({ connection, exchange, exchangeType: 'fanout' });
      await expect(mismatched.send(sub('given'), bundle, 'heartbeat')).rejects.toThrow(/PRECONDITION_FAILED/);
      const ok = amqpChannel({ connection, exchange });
      await ok.send(sub('given'), bundle, 'heartbeat');
      await until(() => c.got.length === 1);
      await ok.close();
      await mismatched.close();
      const check = await connection.createChannel(); // the given connection is still open
      await check.close();
      await expect(ok.send(sub('given'), bundle, 'heartbeat')).rejects.toThrow(/closed/);
    });
  },
);
