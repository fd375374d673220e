import type { FhirServer } from '@fhirstream/core';
import type { FhirHttpCore } from './exchange.js';
import { createFhirHttp, type FhirHandlerOptions } from './fhir-http.js';

export type { FhirHandlerOptions } from './fhir-http.js';

/** A WHATWG fetch handler; `fhir` is the core it wraps, for adapters that skip the WHATWG objects. */
export type FetchHandler = ((request: Request) => Promise<Response>) & { readonly fhir?: FhirHttpCore };

/**
 * The FHIR REST API as a framework-free fetch handler: `(Request) => Promise<Response>`.
 * Mount it with an adapter (`toNodeHandler`, `fhirFastify`, `fhirHono`) or call it directly.
 *
 * @example
 * ```ts
 * const handler = createFhirHandler(server, { basePath: '/fhir' });
 * const res = await handler(new Request('http://localhost/fhir/metadata'));
 * ```
 */
export function createFhirHandler(server: FhirServer, options: FhirHandlerOptions = {}): FetchHandler {
  const core = createFhirHttp(server, options);
  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const result = await core({
      method: request.method,
      url: url.pathname + url.search,
      origin: url.origin,
      header: (name) => request.headers.get(name),
      body: request.body ?? undefined,
    });
    return new Response(result.body as BodyInit | null, { status: result.status, headers: result.headers });
  };
  return Object.assign(handler, { fhir: core });
}
