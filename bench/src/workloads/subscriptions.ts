import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { percentile, round2, sleep, until } from '../harness/percentiles.js';
import type { Figure, Workload } from '../harness/types.js';
import { observation, restHookSubscriptions, startSubscriptionsApp } from './subscriptions-app.js';

const SUBSCRIPTIONS = 1000;
const CLIENTS = 100;

/**
 * `subscriptions` (#6):
 * (1) write ack → rest-hook receiver latency at 100 writes/s with 1,000 active
 * rest-hook subscriptions, next to a raw node:http POST of a notification of
 * the same size to the same receiver; (2) websocket fan-out of one
 * notification to 100 bound clients, next to a raw `ws` server broadcasting
 * the same bytes to 100 clients; (3) HTTP write throughput with 1,000
 * subscriptions (each write matches one, delivered) next to 0 subscriptions.
 * The writers (fetch) run in the same process, as in the package's harness.
 */
export const subscriptions: Workload = {
  name: 'subscriptions',
  issue: '#6',
  description: 'rest-hook latency @100 writes/s with 1,000 subs; ws fan-out to 100; writes/s 1,000 vs 0 subs',
  async run(ctx) {
    const figures: Figure[] = [];
    ctx.log(`rest-hook latency: ${SUBSCRIPTIONS} subscriptions, 100 writes/s…`);
    figures.push(...(await restHookLatency(join(ctx.dir, 'latency'), ctx.quick ? 300 : 1000)));
    ctx.log(`websocket fan-out to ${CLIENTS} clients…`);
    figures.push(...(await fanOut(join(ctx.dir, 'fanout'), ctx.quick ? 20 : 50)));
    const writes = ctx.quick ? 1000 : 3000;
    ctx.log('write throughput: warm-up…');
    await throughput(join(ctx.dir, 'warmup'), 0, 500);
    ctx.log(`write throughput: ${writes} writes, 0 subscriptions…`);
    const zero = await throughput(join(ctx.dir, 'tp0'), 0, writes);
    ctx.log(`write throughput: ${writes} writes, ${SUBSCRIPTIONS} subscriptions, none matching…`);
    const idle = await throughput(join(ctx.dir, 'tp1000-idle'), SUBSCRIPTIONS, writes, false);
    ctx.log(`write throughput: ${writes} writes, ${SUBSCRIPTIONS} subscriptions, each write matching one…`);
    const many = await throughput(join(ctx.dir, 'tp1000'), SUBSCRIPTIONS, writes);
    ctx.log(
      `0 subs: ${Math.round(zero.perSecond)} writes/s; ${SUBSCRIPTIONS} subs: ${Math.round(many.perSecond)} writes/s (projector caught up ${Math.round(many.drainMs)} ms after the last ack)`,
    );
    figures.push({
      name: `HTTP writes/s (c=16), ${SUBSCRIPTIONS} subscriptions (no write matches: the cost of matching)`,
      unit: 'writes/s',
      value: Math.round(idle.perSecond),
      baseline: { name: '0 subscriptions', value: Math.round(zero.perSecond) },
      target: { minRatio: 0.9 },
    });
    figures.push({
      name: `HTTP writes/s (c=16), ${SUBSCRIPTIONS} subscriptions (1 match per write: matching + 1 delivery each)`,
      unit: 'writes/s',
      value: Math.round(many.perSecond),
      baseline: { name: '0 subscriptions', value: Math.round(zero.perSecond) },
      target: { minRatio: 0.9 },
      details: {
        writes,
        drainMsAfterLastAck: Math.round(many.drainMs),
        zeroDrainMs: Math.round(zero.drainMs),
      },
    });
    return figures;
  },
};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server) {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** At `rate` per second, `count` times: start `task(i)` on schedule (not waiting for the previous one). */
async function paced(count: number, rate: number, task: (i: number) => Promise<void>) {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(task(i));
  }
  await Promise.all(pending);
}

async function restHookLatency(path: string, writes: number): Promise<Figure[]> {
  const acked = new Map<string, number>();
  const arrived = new Map<string, number>();
  const rawSent = new Map<string, number>();
  const rawLatencies: number[] = [];
  let handshakes = 0;
  let sample: string | undefined;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const raw = req.headers['x-raw'];
      if (typeof raw === 'string') {
        rawLatencies.push(at - rawSent.get(raw)!);
      } else {
        const text = Buffer.concat(chunks).toString();
        // Several events for one subscription may come in one notification: every focus counts.
        const entries = (JSON.parse(text) as { entry?: Array<{ resource?: { id?: string } }> }).entry ?? [];
        const focus = entries.slice(1).flatMap((e) => (e.resource?.id ? [e.resource.id] : []));
        if (focus.length === 0) handshakes++;
        else {
          if (focus.length === 1) sample ??= text;
          for (const id of focus) if (!arrived.has(id)) arrived.set(id, at);
        }
      }
      res.writeHead(200).end();
    });
  });
  const port = await listen(receiver);
  const app = await startSubscriptionsApp(path);
  try {
    await restHookSubscriptions(app, SUBSCRIPTIONS, (i) => `http://127.0.0.1:${port}/hook/${i}`);
    await until(() => handshakes >= SUBSCRIPTIONS, 60_000, 'handshakes');
    await paced(writes, 100, async () => {
      const res = await app.request('Observation', {
        body: observation(`c${Math.floor(Math.random() * SUBSCRIPTIONS)}`),
      });
      if (res.status !== 201) throw new Error(`write: ${res.status}`);
      acked.set(res.body.id, performance.now());
    });
    await until(() => [...acked.keys()].every((id) => arrived.has(id)), 30_000, 'deliveries');
    // A notification can reach the receiver before the writer has processed its own ack: 0 ms then.
    const early = [...acked].filter(([id, t]) => arrived.get(id)! < t).length;
    const latencies = [...acked].map(([id, t]) => Math.max(0, arrived.get(id)! - t));
    // Baseline: the same receiver, a raw POST of a notification of the same size, same rate.
    const body = sample!;
    const rawCount = Math.min(writes, 300);
    await paced(rawCount, 100, async (i) => {
      const key = String(i);
      rawSent.set(key, performance.now());
      const res = await fetch(`http://127.0.0.1:${port}/raw`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', 'x-raw': key },
        body,
      });
      await res.arrayBuffer();
    });
    const details = {
      writes,
      subscriptions: SUBSCRIPTIONS,
      deliveredBeforeAck: early,
      rawPosts: rawCount,
      notificationBytes: body.length,
    };
    return [
      {
        name: `rest-hook, write ack → receiver, 100 writes/s, ${SUBSCRIPTIONS} subs, p50`,
        unit: 'ms',
        better: 'lower',
        value: round2(percentile(latencies, 50)),
        baseline: { name: 'raw POST same body', value: round2(percentile(rawLatencies, 50)) },
        details,
      },
      {
        name: `rest-hook, write ack → receiver, 100 writes/s, ${SUBSCRIPTIONS} subs, p99`,
        unit: 'ms',
        better: 'lower',
        value: round2(percentile(latencies, 99)),
        baseline: { name: 'raw POST same body', value: round2(percentile(rawLatencies, 99)) },
        target: { max: 50 },
        details,
      },
    ];
  } finally {
    await app.close();
    await closeServer(receiver);
    rmSync(path, { recursive: true, force: true });
  }
}

const isEvent = (text: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: notification Bundle JSON
  JSON.parse(text).entry?.[0]?.resource?.parameter?.find((x: any) => x.name === 'type')?.valueCode ===
  'event-notification';

async function fanOut(path: string, rounds: number): Promise<Figure[]> {
  const app = await startSubscriptionsApp(path);
  const clients: WebSocket[] = [];
  const times: number[] = [];
  let count = 0;
  let roundStart = 0;
  let sample: string | undefined;
  try {
    const sub = await app.request('Subscription', {
      body: {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'fan-out',
        criteria: 'Patient?family=Fan',
        channel: { type: 'websocket', payload: 'application/fhir+json' },
      },
    });
    for (let i = 0; i < CLIENTS; i++) {
      const token = await app.request(`Subscription/${sub.body.id}/$get-ws-binding-token`);
      const p = Object.fromEntries(
        // biome-ignore lint/suspicious/noExplicitAny: Parameters JSON
        token.body.parameter.map((x: any) => [x.name, x.valueString ?? x.valueUrl]),
      ) as Record<string, string>;
      const ws = new WebSocket(p['websocket-url']!);
      await new Promise((r) => ws.once('open', r));
      ws.on('message', (data) => {
        const text = data.toString();
        if (!isEvent(text)) return;
        sample ??= text;
        if (++count === CLIENTS) times.push(performance.now() - roundStart);
      });
      ws.send(`bind-with-token ${p.token}`);
      clients.push(ws);
    }
    await until(() => app.engine.websocket.boundCount(sub.body.id) === CLIENTS, 10_000, 'bound clients');
    for (let round = 0; round < rounds; round++) {
      count = 0;
      roundStart = performance.now();
      const res = await app.request('Patient', {
        body: { resourceType: 'Patient', name: [{ family: 'Fan' }] },
      });
      if (res.status !== 201) throw new Error(`write: ${res.status}`);
      await until(() => count === CLIENTS, 10_000, 'fan-out');
    }
  } finally {
    for (const c of clients) c.terminate();
    await app.close();
    rmSync(path, { recursive: true, force: true });
  }
  const raw = await rawBroadcast(sample!, rounds);
  const details = { clients: CLIENTS, rounds, notificationBytes: sample!.length };
  return [
    {
      name: `websocket fan-out, write sent → ${CLIENTS}th client, p50`,
      unit: 'ms',
      better: 'lower',
      value: round2(percentile(times, 50)),
      baseline: { name: 'raw ws broadcast', value: round2(percentile(raw, 50)) },
      details,
    },
    {
      name: `websocket fan-out, write sent → ${CLIENTS}th client, p99`,
      unit: 'ms',
      better: 'lower',
      value: round2(percentile(times, 99)),
      baseline: { name: 'raw ws broadcast', value: round2(percentile(raw, 99)) },
      details,
    },
  ];
}

/** Baseline of the fan-out: a bare `ws` server sending the same bytes to 100 clients; send → 100th received. */
async function rawBroadcast(message: string, rounds: number): Promise<number[]> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const port = await listen(http);
  const clients: WebSocket[] = [];
  const times: number[] = [];
  let count = 0;
  let start = 0;
  try {
    for (let i = 0; i < CLIENTS; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`);
      await new Promise((r) => ws.once('open', r));
      ws.on('message', (data) => {
        if (!isEvent(data.toString())) return;
        if (++count === CLIENTS) times.push(performance.now() - start);
      });
      clients.push(ws);
    }
    await until(() => wss.clients.size === CLIENTS, 10_000, 'raw clients');
    for (let round = 0; round < rounds; round++) {
      count = 0;
      start = performance.now();
      for (const c of wss.clients) c.send(message);
      await until(() => count === CLIENTS, 10_000, 'raw fan-out');
    }
  } finally {
    for (const c of clients) c.terminate();
    wss.close();
    await closeServer(http);
  }
  return times;
}

async function throughput(path: string, subs: number, total: number, matching = true) {
  const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  const port = await listen(receiver);
  const app = await startSubscriptionsApp(path);
  try {
    if (subs) await restHookSubscriptions(app, subs, () => `http://127.0.0.1:${port}/hook`);
    const concurrency = 16;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const code = matching ? `c${next % SUBSCRIPTIONS}` : `other${next}`;
          const res = await app.request('Observation', { body: observation(code) });
          if (res.status !== 201) throw new Error(`write: ${res.status}`);
        }
      }),
    );
    const writeMs = performance.now() - start;
    await app.runtime.waitFor(await app.store.headSeq(), { timeoutMs: 60_000 });
    const drainMs = performance.now() - start - writeMs;
    return { perSecond: (total * 1000) / writeMs, drainMs };
  } finally {
    await app.close();
    await closeServer(receiver);
    rmSync(path, { recursive: true, force: true });
  }
}
