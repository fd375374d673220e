/**
 * Quick measurements (not a timed test):
 *   node --conditions=source --import tsx packages/subscriptions/bench/measure.ts
 * 1. write-ack → rest-hook receiver latency at 100 writes/s with 1,000 active rest-hook subscriptions;
 * 2. websocket fan-out of one notification to 100 bound clients;
 * 3. HTTP write throughput with 0 vs 1,000 subscriptions (and how long the projector takes to drain).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { startApp, until } from '../src/testing/harness.js';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;
const obs = (code: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
});

async function subscriptionsOf(
  app: Awaited<ReturnType<typeof startApp>>,
  n: number,
  endpoint: (i: number) => string,
  prefix = 'c',
) {
  const ops = Array.from({ length: n }, (_, i) => ({
    op: 'create' as const,
    id: `s${i}`,
    resource: {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'bench',
      criteria: `Observation?code=http://loinc.org|${prefix}${i}`,
      channel: { type: 'rest-hook', endpoint: endpoint(i), payload: 'application/fhir+json' },
    } as never,
  }));
  const { seq } = await app.store.commit(ops);
  await app.server.runtime.waitFor(seq, { timeoutMs: 60_000 });
  // Let the 1,000 handshakes and their status writes finish before measuring.
  await until(
    async () => {
      for (let i = 0; i < n; i++) if ((await app.engine.state(`s${i}`))?.status !== 'active') return false;
      return true;
    },
    60_000,
    'active',
  );
  await new Promise((r) => setTimeout(r, 500));
  await app.server.runtime.waitFor(await app.store.headSeq(), { timeoutMs: 60_000 });
}

async function latency() {
  const acked = new Map<string, number>();
  const latencies: number[] = [];
  let handshakes = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const bundle = JSON.parse(Buffer.concat(chunks).toString());
      const focus = bundle.entry[1]?.resource?.id as string | undefined;
      if (!focus) handshakes++;
      else {
        const sent = acked.get(focus);
        if (sent !== undefined) latencies.push(at - sent);
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  const app = await startApp();
  await subscriptionsOf(app, 1000, (i) => `http://127.0.0.1:${port}/hook/${i}`);
  await until(() => handshakes >= 1000, 60_000, 'handshakes');
  const writes = 1000;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < writes; i++) {
    const due = start + i * 10; // 100 writes/s
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      app.request('Observation', { body: obs(`c${Math.floor(Math.random() * 1000)}`) }).then((res) => {
        acked.set(res.body.id, performance.now());
      }),
    );
  }
  await Promise.all(pending);
  await until(() => latencies.length >= writes, 30_000, 'deliveries');
  console.log(
    `1. rest-hook latency, write-ack → receiver, 100 writes/s, 1,000 subscriptions: ${fmt(latencies)}`,
  );
  await app.close();
  receiver.close();
}

async function fanOut() {
  const app = await startApp();
  const sub = await app.request('Subscription', {
    body: {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'fan-out',
      criteria: 'Patient?family=Fan',
      channel: { type: 'websocket', payload: 'application/fhir+json' },
    },
  });
  const clients: WebSocket[] = [];
  const lastSeen: number[] = [];
  let round = -1;
  let count = 0;
  let roundStart = 0;
  for (let i = 0; i < 100; i++) {
    const token = await app.request(`Subscription/${sub.body.id}/$get-ws-binding-token`);
    const p = Object.fromEntries(token.body.parameter.map((x: any) => [x.name, x.valueString ?? x.valueUrl]));
    const ws = new WebSocket(p['websocket-url']);
    await new Promise((r) => ws.once('open', r));
    ws.on('message', (data) => {
      const b = JSON.parse(data.toString());
      if (
        b.entry?.[0]?.resource?.parameter?.find((x: any) => x.name === 'type')?.valueCode !==
        'event-notification'
      )
        return;
      count++;
      if (count === 100) lastSeen[round] = performance.now() - roundStart;
    });
    ws.send(`bind-with-token ${p.token}`);
    clients.push(ws);
  }
  await until(() => app.engine.websocket.boundCount(sub.body.id) === 100);
  for (round = 0; round < 50; round++) {
    count = 0;
    roundStart = performance.now();
    await app.request('Patient', { body: { resourceType: 'Patient', name: [{ family: 'Fan' }] } });
    await until(() => count === 100, 10_000, 'fan-out');
  }
  console.log(`2. websocket fan-out, write sent → 100th client received: ${fmt(lastSeen)}`);
  for (const c of clients) c.close();
  await app.close();
}

async function throughput(subscriptions: number, matching = true) {
  const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  const app = await startApp();
  if (subscriptions)
    await subscriptionsOf(
      app,
      subscriptions,
      () => `http://127.0.0.1:${port}/hook`,
      matching ? 'c' : 'never-',
    );
  const total = 3000;
  const concurrency = 16;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await app.request('Observation', { body: obs(`c${next % 1000}`) });
      }
    }),
  );
  const writeMs = performance.now() - start;
  await app.server.runtime.waitFor(await app.store.headSeq(), { timeoutMs: 60_000 });
  const drainMs = performance.now() - start;
  console.log(
    `3. ${subscriptions} subscriptions${subscriptions ? (matching ? ' (each write matches 1, delivered)' : ' (none match)') : ''}: ${Math.round((total / writeMs) * 1000)} writes/s over HTTP (c=${concurrency}); projector caught up ${Math.round(drainMs - writeMs)} ms after the last ack; ${app.engine.stats.evaluated} candidate evaluations for ${app.engine.stats.writes} writes`,
  );
  await app.close();
  receiver.close();
}

await latency();
await fanOut();
await throughput(0); // warm-up
for (let i = 0; i < 2; i++) {
  await throughput(0);
  await throughput(1000, false);
  await throughput(1000, true);
}
process.exit(0);
