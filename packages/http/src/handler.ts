import {
  FhirError,
  type FhirMethod,
  type FhirRequest,
  type FhirServer,
  type RequestContext,
  requestContext,
  type SearchParams,
} from '@fhirstream/core';
import { readBody } from './request-body.js';
import { fhirHeaders, negotiate } from './request-headers.js';
import { errorResponse, toResponse } from './response.js';

/** Options of {@link createFhirHandler}. */
export interface FhirHandlerOptions {
  /** Path prefix of the FHIR base inside the app, e.g. `/fhir` (default `''`). */
  basePath?: string;
  /** Absolute base URL to use in links (default: the request's origin + `basePath`). */
  baseUrl?: string;
  /** Largest request body in bytes (default 16 MiB); larger answers 413. */
  maxBodyBytes?: number;
  /**
   * Who is asking: identity, scopes, tenant from the request (e.g. a verified
   * bearer token). Called once per request; the seam for authorization.
   */
  context?: (request: Request) => Partial<RequestContext> | Promise<Partial<RequestContext>>;
}

/** A WHATWG fetch handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The FHIR REST API as a framework-free fetch handler: `(Request) => Promise<Response>`.
 * Mount it with an adapter (`toNodeHandler`, `fhirFastifyPlugin`, `fhirHono`) or call it directly.
 *
 * @example
 * ```ts
 * const handler = createFhirHandler(server, { basePath: '/fhir' });
 * const res = await handler(new Request('http://localhost/fhir/metadata'));
 * ```
 */
export function createFhirHandler(server: FhirServer, options: FhirHandlerOptions = {}): FetchHandler {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  return async (request) => {
    const url = new URL(request.url);
    const pretty = url.searchParams.get('_pretty') === 'true';
    try {
      if (basePath && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
        throw new FhirError('not-found', `${url.pathname} is not under the FHIR base ${basePath}`);
      }
      const method = request.method.toUpperCase();
      if (!METHODS.has(method)) throw new FhirError('method-not-allowed', `${method} is not a FHIR method`);
      negotiate(url.searchParams.get('_format'), request.headers.get('accept'));
      const path = url.pathname.slice(basePath.length).replace(/^\/+/, '');
      let params: SearchParams = [...url.searchParams];
      const isSearchPost = method === 'POST' && /(^|\/)_search$/.test(path);
      const body =
        method === 'GET' || method === 'HEAD' || method === 'DELETE'
          ? { kind: 'none' as const }
          : await readBody(request, maxBodyBytes, isSearchPost);
      if (body.kind === 'form') params = [...params, ...new URLSearchParams(body.value)];
      else if (isSearchPost && body.kind === 'json')
        throw new FhirError('unsupported-media-type', 'POST _search takes application/x-www-form-urlencoded');
      const fhirRequest: FhirRequest = {
        method: method as FhirMethod,
        path,
        params,
        headers: fhirHeaders(request.headers),
        baseUrl: options.baseUrl ?? `${url.origin}${basePath}`,
        ...(body.kind === 'json' ? { body: body.value } : {}),
      };
      const ctx = requestContext({
        ...(request.headers.get('x-request-id') ? { requestId: request.headers.get('x-request-id')! } : {}),
        ...(await options.context?.(request)),
      });
      const response = await server.handle(ctx, fhirRequest);
      return toResponse(fhirRequest, response, pretty, method === 'HEAD');
    } catch (error) {
      return errorResponse(error, pretty);
    }
  };
}
