import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bundle } from '../fhir-types.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import { restHookChannel } from './rest-hook.js';

const bundle = (n: number) => ({ resourceType: 'Bundle', type: 'history', id: `b${n}`, entry: [] }) as Bundle;
const sub = (endpoint: string, extra: Partial<ParsedSubscription> = {}) =>
  ({ id: 's1', endpoint, headers: [], ...extra }) as unknown as ParsedSubscription;

interface Hit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('rest-hook channel', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A node:http receiver answering `answer(hit)` (status, headers); counts its TCP connections. */
  async function receiver(answer: (hit: Hit) => [number, Record<string, string>?] = () => [200]) {
    const hits: Hit[] = [];
    const sockets = new Set<Socket>();
    let connections = 0;
    const server: Server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const hit = {
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        hits.push(hit);
        const [status, headers] = answer(hit);
        res.writeHead(status, headers).end();
      });
    });
    server.on('connection', (s) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    return { url, hits, sockets, connections: () => connections };
  }

  it('POSTs the Bundle with its headers, reusing one kept-alive connection; non-2xx is a failure', async () => {
    let status = 200;
    const hook = await receiver(() => [status]);
    const channel = restHookChannel();
    cleanup.push(() => channel.close?.());
    const s = sub(`${hook.url}/hook`, {
      payloadMime: 'application/fhir+json; fhirVersion=4.0',
      headers: ['Authorization: Bearer t', 'X-Tenant: a', 'x-tenant: b'],
    });
    for (let i = 0; i < 5; i++) expect(await channel.send(s, bundle(i), 'event-notification')).toBe('sent');
    expect(hook.hits.map((h) => JSON.parse(h.body).id)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
    const { headers, method, url } = hook.hits[0]!;
    expect(method).toBe('POST');
    expect(url).toBe('/hook');
    expect(headers['content-type']).toBe('application/fhir+json; fhirVersion=4.0');
    expect(headers.authorization).toBe('Bearer t');
    expect(headers['x-tenant']).toBe('b');
    expect(Number(headers['content-length'])).toBe(Buffer.byteLength(hook.hits[0]!.body));
    expect(hook.connections()).toBe(1);
    status = 503;
    await expect(channel.send(s, bundle(5), 'event-notification')).rejects.toThrow(/answered 503/);
    status = 204;
    expect(await channel.send(s, bundle(6), 'event-notification')).toBe('sent');
    // close() lets go of the idle connection.
    await channel.close?.();
    await expect.poll(() => hook.sockets.size).toBe(0);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    const server = createHttpServer(() => undefined); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const channel = restHookChannel({ defaultTimeoutMs: 150 });
    cleanup.push(() => channel.close?.());
    const started = Date.now();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await expect(channel.send(sub(url), bundle(1), 'event-notification')).rejects.toThrow(/did not answer/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('waits for a slow answer within the timeout, longer than idle connections are kept', async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(200).end(), 300);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const channel = restHookChannel({ defaultTimeoutMs: 5000, keepAliveMs: 50 });
    cleanup.push(() => channel.close?.());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    expect(await channel.send(sub(url), bundle(1), 'event-notification')).toBe('sent');
    expect(await channel.send(sub(url), bundle(2), 'event-notification')).toBe('sent');
  });

  it('follows 307/308 with the same POST, without credentials to another origin; other 3xx are not accepted', async () => {
    const target = await receiver();
    const other = await receiver(); // 127.0.0.1 on another port: another origin
    const hook = await receiver((hit) =>
      hit.url === '/same'
        ? [307, { location: '/moved' }]
        : hit.url === '/cross'
          ? [308, { location: `${other.url}/there` }]
          : hit.url === '/see-other'
            ? [303, { location: `${target.url}/x` }]
            : [200],
    );
    const channel = restHookChannel();
    cleanup.push(() => channel.close?.());
    const headers = ['Authorization: Bearer t', 'X-Tenant: a'];
    expect(await channel.send(sub(`${hook.url}/same`, { headers }), bundle(1), 'event-notification')).toBe(
      'sent',
    );
    const moved = hook.hits.find((h) => h.url === '/moved')!;
    expect(moved.method).toBe('POST');
    expect(JSON.parse(moved.body).id).toBe('b1');
    expect(moved.headers.authorization).toBe('Bearer t');

    expect(await channel.send(sub(`${hook.url}/cross`, { headers }), bundle(2), 'event-notification')).toBe(
      'sent',
    );
    expect(other.hits).toHaveLength(1);
    expect(other.hits[0]!.method).toBe('POST');
    expect(JSON.parse(other.hits[0]!.body).id).toBe('b2');
    expect(other.hits[0]!.headers.authorization).toBeUndefined();
    expect(other.hits[0]!.headers['x-tenant']).toBe('a');

    // A 303 would turn the POST into a GET without the notification: not an acceptance.
    await expect(
      channel.send(sub(`${hook.url}/see-other`, { headers }), bundle(3), 'event-notification'),
    ).rejects.toThrow(/answered 303/);
    expect(target.hits).toHaveLength(0);
  });

  it('sends again on a new connection when the receiver closed the kept-alive one', async () => {
    // A raw HTTP/1.1 server: the first connection answers one request, then drops the
    // next one unanswered (as a receiver closing an idle connection just as it is reused).
    let connections = 0;
    const requests: string[] = [];
    const server: NetServer = createNetServer((socket) => {
      const n = ++connections;
      let buffer = Buffer.alloc(0);
      let answered = 0;
      socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffer.subarray(0, end).toString();
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffer.length < end + 4 + length) return;
          requests.push(buffer.subarray(end + 4, end + 4 + length).toString());
          buffer = buffer.subarray(end + 4 + length);
          if (n === 1 && answered === 1) {
            socket.destroy();
            return;
          }
          answered++;
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const channel = restHookChannel();
    cleanup.push(() => channel.close?.());
    const s = sub(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    expect(await channel.send(s, bundle(1), 'event-notification')).toBe('sent');
    expect(await channel.send(s, bundle(2), 'event-notification')).toBe('sent');
    expect(requests.map((r) => JSON.parse(r).id)).toEqual(['b1', 'b2', 'b2']);
    expect(connections).toBe(2);
  });

  it('an unreachable receiver is a failure (retried by the delivery worker)', async () => {
    const server = createHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await new Promise<void>((r) => server.close(() => r()));
    const channel = restHookChannel();
    cleanup.push(() => channel.close?.());
    await expect(channel.send(sub(url), bundle(1), 'event-notification')).rejects.toThrow(/ECONNREFUSED/);
  });
});
