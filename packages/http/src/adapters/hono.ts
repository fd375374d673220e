import { Hono } from 'hono';
import type { FetchHandler } from '../handler.js';

/**
 * A Hono app serving the FHIR REST API, to mount with `app.route(basePath, …)`.
 * The handler sees the full request URL, so its `basePath` must equal the
 * mount path.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createFhirHandler } from '@fhirstream/http';
 * import { fhirHono } from '@fhirstream/http/hono';
 *
 * const app = new Hono();
 * app.route('/fhir', fhirHono(createFhirHandler(server, { basePath: '/fhir' })));
 * app.get('/health', (c) => c.json({ ok: true }));
 * export default app; // or serve app.fetch
 * ```
 */
export function fhirHono(handler: FetchHandler): Hono {
  const app = new Hono();
  app.all('/', (c) => handler(c.req.raw));
  app.all('/*', (c) => handler(c.req.raw));
  return app;
}
