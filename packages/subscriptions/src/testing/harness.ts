/**
 * Test harness: a real FHIR server (LMDB in a temp dir, node:http on an
 * ephemeral 127.0.0.1 port, the websocket upgrade attached) with the
 * subscription engine, and real HTTP receivers for rest-hooks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFhirServer,
  createProjectorRuntime,
  type FhirServer,
  type ResourceStore,
} from '@fhirstream/core';
import { createFhirHandler, toNodeHandler } from '@fhirstream/http';
import { openLmdbStore } from '@fhirstream/lmdb';
import { withCapabilities } from '../capabilities.js';
import {
  createSubscriptionEngine,
  type SubscriptionEngine,
  type SubscriptionEngineOptions,
} from '../engine.js';
import type { Bundle } from '../fhir-types.js';

/** A running server with subscriptions. */
export interface TestApp {
  store: ResourceStore;
  server: FhirServer;
  engine: SubscriptionEngine;
  http: Server;
  /** `http://127.0.0.1:<port>/fhir` */
  base: string;
  port: number;
  dir: string;
  request(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  /** Stop everything but keep the data directory. */
  stop(): Promise<void>;
  /** Stop and delete the data directory. */
  close(): Promise<void>;
}

type EngineExtras = Partial<Omit<SubscriptionEngineOptions, 'store' | 'baseUrl'>>;

/** Start a server on `dir` (a new temp dir when omitted) and `port` (ephemeral when 0). */
export async function startApp(
  options: { dir?: string; port?: number; engine?: EngineExtras } = {},
): Promise<TestApp> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'fhirstream-subs-')));
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => r.end();
  const http = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}/fhir`;
  const store = openLmdbStore({ path: dir, durability: 'committed' });
  const engine = createSubscriptionEngine({
    store,
    baseUrl: base,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options.engine,
  });
  const runtime = createProjectorRuntime(store, { backoff: { initialMs: 10, maxMs: 100 } });
  const fhir = await createFhirServer({
    store,
    runtime,
    operations: engine.operations,
    validate: engine.validator(),
  });
  const server = withCapabilities(fhir, (cs) => engine.capabilities(cs));
  await runtime.register(engine.projector);
  handle = toNodeHandler(createFhirHandler(server, { basePath: '/fhir' }), { basePath: '/fhir' });
  engine.websocket.attach(http, '/fhir/$websocket');
  let stopped = false;
  const app: TestApp = {
    store,
    server,
    engine,
    http,
    base,
    port,
    dir,
    async request(path, init = {}) {
      const res = await fetch(`${base}/${path}`, {
        method: init.method ?? (init.body ? 'POST' : 'GET'),
        headers: { 'content-type': 'application/fhir+json', ...init.headers },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await engine.close();
      await runtime.stop();
      await store.close();
    },
    async close() {
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return app;
}

/** One notification a receiver got. */
export interface Received {
  bundle: Bundle;
  headers: IncomingHttpHeaders;
  at: number;
}

/** A rest-hook receiver on 127.0.0.1 that can go down (closed port) and come back on the same port. */
export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Answer this status instead of 200 (e.g. 503). */
  failWith: number | undefined;
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolve once `predicate` holds (polling), or reject after `timeoutMs`. */
  waitFor(predicate: (r: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  let server: Server | undefined;
  const receiver: Receiver = {
    url: '',
    port,
    received: [],
    failWith: undefined,
    async up() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          if (receiver.failWith) {
            res.writeHead(receiver.failWith).end();
            return;
          }
          receiver.received.push({
            bundle: JSON.parse(Buffer.concat(chunks).toString()),
            headers: req.headers,
            at: Date.now(),
          });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(receiver.port, '127.0.0.1', resolve));
      receiver.port = (server.address() as AddressInfo).port;
      receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
    },
    async down() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    waitFor: (predicate, timeoutMs = 10_000) => until(() => predicate(receiver.received), timeoutMs),
    close: () => receiver.down(),
  };
  await receiver.up();
  return receiver;
}

/** Poll until `check` is true. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The value of a status parameter. */
export function statusParam(bundle: Bundle, name: string): any {
  const params = (bundle.entry[0]!.resource as any).parameter as Array<Record<string, any>>;
  const p = params.find((x) => x.name === name);
  if (!p) return undefined;
  const key = Object.keys(p).find((k) => k.startsWith('value'));
  return key ? p[key] : p;
}

/** The notification type of a bundle. */
export const typeOf = (b: Bundle) => statusParam(b, 'type') as string;

/** Event numbers of an event notification, in order. */
export function eventNumbers(bundle: Bundle): number[] {
  const params = (bundle.entry[0]!.resource as any).parameter as Array<Record<string, any>>;
  return params
    .filter((p) => p.name === 'notification-event')
    .map((p) => Number(p.part.find((x: any) => x.name === 'event-number').valueString));
}

/** Focus references of an event notification, in order. */
export function focusRefs(bundle: Bundle): string[] {
  const params = (bundle.entry[0]!.resource as any).parameter as Array<Record<string, any>>;
  return params
    .filter((p) => p.name === 'notification-event')
    .map((p) => p.part.find((x: any) => x.name === 'focus')?.valueReference?.reference);
}

/** A rest-hook Subscription resource. */
export function restHookSubscription(
  criteria: string,
  endpoint: string,
  extra: Record<string, any> = {},
): any {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'test',
    criteria,
    channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', ...extra.channel },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'channel')),
  };
}
