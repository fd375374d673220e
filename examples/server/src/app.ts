import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFhirServer, type FhirServer, type ResourceStore } from '@fhirstream/core';
import { createFhirHandler, toNodeHandler } from '@fhirstream/http';
import { openEmbedded } from '@fhirstream/lmdb';

/** Settings of the example server, from the environment by default. */
export interface ExampleServerOptions {
  port: number;
  host: string;
  dataDir: string;
}

/** A running example server. */
export interface RunningServer {
  url: string;
  fhir: FhirServer;
  store: ResourceStore;
  http: Server;
  /** Stop accepting requests, stop projectors, flush and close the store. */
  close(): Promise<void>;
}

/** The answer of `GET /healthz`: 200 when `ok`, 503 otherwise. */
export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

/** Options of {@link serveHttp}. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Served at `/fhir` when given (a projector worker serves health only). */
  fhir?: FhirServer;
  /** Served at `/healthz`. */
  health: () => Promise<HealthReport>;
}

/** A listening HTTP server; see {@link serveHttp}. */
export interface ServingHttp {
  /** `http://host:port` */
  origin: string;
  http: Server;
  close(): Promise<void>;
}

/**
 * Listen on `host:port` with the FHIR API at `/fhir` (when `fhir` is given)
 * and `GET /healthz` (JSON; 503 when not ok); everything else is 404.
 *
 * @example
 * ```ts
 * const serving = await serveHttp({ host: '127.0.0.1', port: 0, fhir, health: async () => ({ ok: true }) });
 * console.log(`${serving.origin}/fhir`);
 * await serving.close();
 * ```
 */
export async function serveHttp(options: ServeOptions): Promise<ServingHttp> {
  const fhirRoutes = options.fhir
    ? toNodeHandler(createFhirHandler(options.fhir, { basePath: '/fhir' }), { basePath: '/fhir' })
    : undefined;
  const http = createServer((req, res) => {
    const notFound = () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
    };
    if ((req.url ?? '').split('?')[0] === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      options.health().then(
        (report) => {
          res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(report));
        },
        (error: unknown) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) }),
          );
        },
      );
      return;
    }
    if (!fhirRoutes) return notFound();
    fhirRoutes(req, res, (error?: unknown) => {
      if (error === undefined) return notFound();
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal server error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  return {
    origin: `http://${options.host}:${port}`,
    http,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/**
 * Start Fhirstream on the embedded default: LMDB store and search index in `dataDir`, FHIR base at `/fhir`.
 * (`pnpm start` does the same from the environment, and more: see `roles.ts`.)
 *
 * @example
 * ```ts
 * const running = await startServer({ port: 8080, host: '127.0.0.1', dataDir: './.data' });
 * console.log(running.url); // http://127.0.0.1:8080/fhir
 * await running.close();
 * ```
 */
export async function startServer(options: ExampleServerOptions): Promise<RunningServer> {
  const embedded = openEmbedded({ path: options.dataDir });
  const { store } = embedded;
  const fhir = await createFhirServer({ store, search: embedded.search, runtime: embedded.runtime });
  const serving = await serveHttp({
    host: options.host,
    port: options.port,
    fhir,
    health: async () => ({ ok: true, role: 'all', headSeq: await store.headSeq() }),
  });
  return {
    url: `${serving.origin}/fhir`,
    fhir,
    store,
    http: serving.http,
    async close() {
      await serving.close();
      await fhir.close();
      await embedded.close();
    },
  };
}
