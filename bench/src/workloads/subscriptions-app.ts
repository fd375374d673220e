/**
 * A running FHIR server with the subscription engine, for the
 * `subscriptions` workload: a port of
 * `packages/subscriptions/src/testing/harness.ts` (which the package does not
 * export) on the packages' public APIs. LMDB in a folder of the workload's
 * temp directory, node:http on an ephemeral 127.0.0.1 port, the websocket
 * upgrade attached.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createFhirServer,
  createProjectorRuntime,
  type FhirServer,
  type ProjectorRuntime,
  type ResourceStore,
} from '@fhirstream/core';
import { createFhirHandler, toNodeHandler } from '@fhirstream/http';
import { openLmdbStore } from '@fhirstream/lmdb';
import {
  createSubscriptionEngine,
  type SubscriptionEngine,
  withCapabilities,
} from '@fhirstream/subscriptions';
import { until } from '../harness/percentiles.js';

/** A server with subscriptions, reachable over HTTP. */
export interface SubscriptionsApp {
  store: ResourceStore;
  server: FhirServer;
  runtime: ProjectorRuntime;
  engine: SubscriptionEngine;
  http: Server;
  /** `http://127.0.0.1:<port>/fhir` */
  base: string;
  // biome-ignore lint/suspicious/noExplicitAny: FHIR JSON of any shape
  request(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Start a server on an LMDB store at `path` (durability `committed`, as the package's harness). */
export async function startSubscriptionsApp(path: string): Promise<SubscriptionsApp> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => r.end();
  const http = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/fhir`;
  const store = openLmdbStore({ path, durability: 'committed' });
  const engine = createSubscriptionEngine({ store, baseUrl: base, backoff: { initialMs: 20, maxMs: 200 } });
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
  return {
    store,
    server,
    runtime,
    engine,
    http,
    base,
    async request(path, init = {}) {
      const res = await fetch(`${base}/${path}`, {
        method: init.method ?? (init.body ? 'POST' : 'GET'),
        headers: { 'content-type': 'application/fhir+json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await engine.close();
      await runtime.stop();
      await store.close();
    },
  };
}

/**
 * Create `n` rest-hook Subscriptions `s0…s{n-1}` on `Observation?code=http://loinc.org|<prefix><i>`,
 * and wait until all are active (handshakes done) and the projector is idle.
 */
export async function restHookSubscriptions(
  app: SubscriptionsApp,
  n: number,
  endpoint: (i: number) => string,
  prefix = 'c',
): Promise<void> {
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
  await app.runtime.waitFor(seq, { timeoutMs: 60_000 });
  await until(
    async () => {
      for (let i = 0; i < n; i++) if ((await app.engine.state(`s${i}`))?.status !== 'active') return false;
      return true;
    },
    60_000,
    'subscriptions active',
  );
  await new Promise((r) => setTimeout(r, 500));
  await app.runtime.waitFor(await app.store.headSeq(), { timeoutMs: 60_000 });
}

/** An Observation whose code matches subscription `<code>`. */
export const observation = (code: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
});
