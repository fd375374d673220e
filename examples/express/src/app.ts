import { createFhirServer, createStore } from '@fhirstream/core';
import { createFhirHandler, toNodeHandler } from '@fhirstream/http';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import express, { type Express } from 'express';

/** A running example app: the Express app and how to shut it down. */
export interface ExampleApp {
  app: Express;
  /** Stop the FHIR server and close the store (after the HTTP server stopped). */
  close(): Promise<void>;
}

/**
 * An Express app with Fhirstream mounted at `/fhir`, next to an ordinary route.
 *
 * @example
 * ```ts
 * const { app } = await createApp({ dataDir: './.data' });
 * app.listen(8080);
 * ```
 */
export async function createApp(options: { dataDir: string }): Promise<ExampleApp> {
  const backend = openLmdbBackend({ path: options.dataDir });
  const store = createStore(backend);
  const server = await createFhirServer({ store, search: createLmdbSearchEngine({ backend, store }) });

  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Express strips the mount path from req.url; toNodeHandler uses req.originalUrl,
  // so basePath, the handler's basePath and the mount path are all '/fhir'.
  app.use('/fhir', toNodeHandler(createFhirHandler(server, { basePath: '/fhir' }), { basePath: '/fhir' }));

  return {
    app,
    async close() {
      await server.close();
      await store.close();
    },
  };
}
