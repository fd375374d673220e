import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { fhirFastifyPlugin, fhirFrameworkErrors } from '../adapters/fastify.js';
import { fhirHono } from '../adapters/hono.js';
import { toNodeHandler } from '../adapters/node.js';
import { inProcessClient } from '../in-process.js';
import { openTestServer } from './fixture.js';
import type { Mounted } from './rest-suite.js';

const BASE = '/fhir';

async function listen(listener: RequestListener): Promise<{ server: Server; origin: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Plain node:http: `createServer(toNodeHandler(handler))`, FHIR base at the root of the server. */
export async function mountNodeHttp(): Promise<Mounted> {
  const t = await openTestServer();
  const { server, origin } = await listen(toNodeHandler(t.handler) as RequestListener);
  return {
    baseUrl: origin,
    async close() {
      await stop(server);
      await t.close();
    },
  };
}

/** Express: `app.use('/fhir', toNodeHandler(handler, { basePath: '/fhir' }))` next to other routes. */
export async function mountExpress(): Promise<Mounted> {
  const t = await openTestServer({ basePath: BASE });
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(BASE, toNodeHandler(t.handler, { basePath: BASE }));
  const { server, origin } = await listen(app);
  return {
    baseUrl: `${origin}${BASE}`,
    async close() {
      await stop(server);
      await t.close();
    },
  };
}

/** Fastify: `app.register(fhirFastifyPlugin, { prefix: '/fhir', handler })` next to a JSON route. */
export async function mountFastify(): Promise<Mounted> {
  const t = await openTestServer({ basePath: BASE });
  const app = Fastify({ frameworkErrors: fhirFrameworkErrors });
  app.post('/echo', async (request) => ({ echoed: request.body }));
  await app.register(fhirFastifyPlugin, { prefix: BASE, handler: t.handler });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${BASE}`,
    async close() {
      app.server.closeAllConnections();
      await app.close();
      await t.close();
    },
  };
}

/** Hono: `app.route('/fhir', fhirHono(handler))`, served on node:http through `toNodeHandler(app.fetch)`. */
export async function mountHono(): Promise<Mounted> {
  const t = await openTestServer({ basePath: BASE });
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true }));
  app.route(BASE, fhirHono(t.handler));
  const { server, origin } = await listen(
    toNodeHandler((req) => Promise.resolve(app.fetch(req))) as RequestListener,
  );
  return {
    baseUrl: `${origin}${BASE}`,
    async close() {
      await stop(server);
      await t.close();
    },
  };
}

/** No network: requests go through {@link inProcessClient}. */
export async function mountInProcess(): Promise<Mounted> {
  const t = await openTestServer({ basePath: BASE });
  const origin = 'http://fhir.test';
  const client = inProcessClient(t.handler, origin);
  return {
    baseUrl: `${origin}${BASE}`,
    fetch: (url, init) => {
      const u = new URL(url);
      if (u.origin !== origin) throw new Error(`${url} is not on ${origin}`);
      // inProcessClient.request serializes any non-string, non-bytes body as JSON (a stream
      // would become "{}"), so streamed bodies go to the handler as a plain Request.
      if (init?.body instanceof ReadableStream) return t.handler(new Request(url, init));
      return client.request(`${u.pathname}${u.search}`, init as Omit<RequestInit, 'body'>);
    },
    async close() {
      await t.close();
    },
  };
}

/** Every mount of the REST suite, by name. */
export const mounts = { mountNodeHttp, mountExpress, mountFastify, mountHono, mountInProcess };
