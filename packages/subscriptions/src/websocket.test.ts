import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BACKPORT, RESOURCE_CHANGE_TOPIC } from './backport.js';
import type { Bundle } from './fhir-types.js';
import { eventNumbers, startApp, statusParam, type TestApp, typeOf, until } from './testing/harness.js';

interface Client {
  socket: WebSocket;
  messages: any[];
  close(): Promise<void>;
}

async function connect(url: string): Promise<Client> {
  const socket = new WebSocket(url);
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    socket,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

const wsSubscription = (family: string, heartbeat?: number) => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'ws',
  criteria: RESOURCE_CHANGE_TOPIC,
  _criteria: { extension: [{ url: BACKPORT.filterCriteria, valueString: `Patient?family=${family}` }] },
  channel: {
    ...(heartbeat ? { extension: [{ url: BACKPORT.heartbeatPeriod, valueUnsignedInt: heartbeat }] } : {}),
    type: 'websocket',
    payload: 'application/fhir+json',
    _payload: { extension: [{ url: BACKPORT.payloadContent, valueCode: 'id-only' }] },
  },
});

describe('websocket subscriptions', () => {
  let app: TestApp;
  const clients: Client[] = [];
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await app.close();
  });

  async function bind(id: string): Promise<Client> {
    const token = await app.request(`Subscription/${id}/$get-ws-binding-token`);
    expect(token.status).toBe(200);
    const p = Object.fromEntries(
      token.body.parameter.map((x: any) => [x.name, x.valueString ?? x.valueUrl ?? x.valueDateTime]),
    );
    expect(p['websocket-url']).toBe(`ws://127.0.0.1:${app.port}/fhir/$websocket`);
    expect(p.subscription).toBe(id);
    expect(Date.parse(p.expiration)).toBeGreaterThan(Date.now());
    const client = await connect(p['websocket-url']);
    clients.push(client);
    client.socket.send(`bind-with-token: ${p.token}`);
    await until(
      () => client.messages.some((m) => m.resourceType === 'Bundle' && typeOf(m) === 'handshake'),
      5000,
      'handshake',
    );
    return client;
  }

  const eventsOf = (c: Client) =>
    c.messages.filter((m: Bundle) => m.resourceType === 'Bundle' && typeOf(m) === 'event-notification');

  it('binds with a token, handshakes, notifies, and replays the backlog after a reconnect', async () => {
    const sub = await app.request('Subscription', { body: wsSubscription('Socket') });
    expect(sub.status).toBe(201);
    const id = sub.body.id;
    await until(
      async () => (await app.request(`Subscription/${id}`)).body.status === 'active',
      5000,
      'active',
    );
    let client = await bind(id);
    const handshake = client.messages[0];
    expect(statusParam(handshake, 'subscription').reference).toBe(`${app.base}/Subscription/${id}`);
    await app.request('Patient', { body: { resourceType: 'Patient', name: [{ family: 'Socket' }] } });
    await until(() => eventsOf(client).length === 1, 5000, 'event 1');
    expect(eventNumbers(eventsOf(client)[0])).toEqual([1]);

    await client.close();
    await until(() => app.engine.websocket.boundCount(id) === 0);
    for (let i = 0; i < 3; i++)
      await app.request('Patient', { body: { resourceType: 'Patient', name: [{ family: 'Socket' }] } });
    await until(async () => (await app.engine.state(id))!.eventsSinceStart === 4);
    client = await bind(id);
    // The handshake tells the client how many events there are; then the backlog follows, in order.
    expect(statusParam(client.messages[0], 'events-since-subscription-start')).toBe('4');
    await until(() => eventsOf(client).flatMap(eventNumbers).length === 3, 5000, 'backlog');
    expect(eventsOf(client).flatMap(eventNumbers)).toEqual([2, 3, 4]);
  });

  it('refuses bad tokens and sends heartbeats to bound clients', async () => {
    const sub = await app.request('Subscription', { body: wsSubscription('Beat', 1) });
    const bad = await connect(`ws://127.0.0.1:${app.port}/fhir/$websocket`);
    clients.push(bad);
    bad.socket.send('bind-with-token nope');
    await until(() => bad.messages.some((m) => m.resourceType === 'OperationOutcome'));
    const client = await bind(sub.body.id);
    await until(
      () => client.messages.filter((m) => typeOf(m) === 'heartbeat').length >= 1,
      5000,
      'heartbeat',
    );
    // A rest-hook subscription has no websocket token.
    const hookSub = await app.request('Subscription', {
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'x',
        criteria: 'Patient?family=x',
        channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:9/x' },
      },
    });
    expect((await app.request(`Subscription/${hookSub.body.id}/$get-ws-binding-token`)).status).toBe(400);
  });

  it('fans out to many bound clients', async () => {
    const sub = await app.request('Subscription', { body: wsSubscription('Fan') });
    const many = await Promise.all(Array.from({ length: 20 }, () => bind(sub.body.id)));
    await app.request('Patient', { body: { resourceType: 'Patient', name: [{ family: 'Fan' }] } });
    await until(() => many.every((c) => eventsOf(c).length === 1), 5000, 'fan-out');
  });
});
