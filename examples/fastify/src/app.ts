import { createFhirServer, createStore } from '@fhirstream/core';
import { createFhirHandler } from '@fhirstream/http';
import { fhirFastifyPlugin, fhirFrameworkErrors } from '@fhirstream/http/fastify';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A Fastify app with Fhirstream registered under `/fhir`, next to ordinary
 * JSON routes (whose body parsing the FHIR plugin does not touch). Closing the
 * app closes the FHIR server and the store.
 *
 * @example
 * ```ts
 * const app = await createApp({ dataDir: './.data' });
 * await app.listen({ port: 8080 });
 * ```
 */
export async function createApp(options: { dataDir: string; logger?: boolean }): Promise<FastifyInstance> {
  const backend = openLmdbBackend({ path: options.dataDir });
  const store = createStore(backend);
  const server = await createFhirServer({ store, search: createLmdbSearchEngine({ backend, store }) });

  const app = Fastify({ logger: options.logger ?? false, frameworkErrors: fhirFrameworkErrors });
  app.get('/health', async () => ({ status: 'ok' }));
  app.post('/echo', async (request) => ({ echo: request.body }));
  await app.register(fhirFastifyPlugin, {
    prefix: '/fhir',
    handler: createFhirHandler(server, { basePath: '/fhir' }),
  });
  app.addHook('onClose', async () => {
    await server.close();
    await store.close();
  });
  return app;
}
