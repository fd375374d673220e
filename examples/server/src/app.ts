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

/**
 * Start Fhirstream on the embedded default: LMDB store and search index in `dataDir`, FHIR base at `/fhir`.
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
  const handler = createFhirHandler(fhir, { basePath: '/fhir' });
  const http = createServer(toNodeHandler(handler, { basePath: '/fhir' }));
  await new Promise<void>((resolve) => http.listen(options.port, options.host, resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/fhir`,
    fhir,
    store,
    http,
    async close() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await fhir.close();
      await embedded.close();
    },
  };
}
