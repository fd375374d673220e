import {
  FhirError,
  type FhirMethod,
  type FhirRequest,
  type FhirServer,
  type RequestContext,
  requestContext,
  type SearchParams,
} from '@fhirstream/core';
import type { FhirHttpCore, HttpExchange } from './exchange.js';
import { readBody } from './request-body.js';
import { fhirHeaders, negotiate } from './request-headers.js';
import { errorResult, toResult } from './response.js';

/** Options of {@link createFhirHttp} (and of `createFhirHandler`). */
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
  context?: (exchange: HttpExchange) => Partial<RequestContext> | Promise<Partial<RequestContext>>;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const NO_QUERY = new URLSearchParams();

/**
 * The FHIR REST API over plain request/response objects: content negotiation,
 * body limits, FHIR headers, the request context, then `server.handle`.
 * `createFhirHandler` wraps it as a fetch handler; the node adapter calls it directly.
 *
 * @example
 * ```ts
 * const core = createFhirHttp(server, { basePath: '/fhir' });
 * const result = await core({ method: 'GET', url: '/fhir/metadata', origin: 'http://localhost', header: () => null, body: undefined });
 * ```
 */
export function createFhirHttp(server: FhirServer, options: FhirHandlerOptions = {}): FhirHttpCore {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  return async (exchange) => {
    const q = exchange.url.indexOf('?');
    const pathname = q >= 0 ? exchange.url.slice(0, q) : exchange.url;
    const query = q >= 0 ? new URLSearchParams(exchange.url.slice(q + 1)) : NO_QUERY;
    const pretty = query.get('_pretty') === 'true';
    try {
      if (basePath && pathname !== basePath && !pathname.startsWith(`${basePath}/`)) {
        throw new FhirError('not-found', `${pathname} is not under the FHIR base ${basePath}`);
      }
      const method = exchange.method.toUpperCase();
      if (!METHODS.has(method)) throw new FhirError('method-not-allowed', `${method} is not a FHIR method`);
      negotiate(query.get('_format'), exchange.header('accept'));
      const path = pathname.slice(basePath.length).replace(/^\/+/, '');
      let params: SearchParams = [...query];
      const isSearchPost = method === 'POST' && /(^|\/)_search$/.test(path);
      const body =
        method === 'GET' || method === 'HEAD' || method === 'DELETE'
          ? { kind: 'none' as const }
          : await readBody(exchange, maxBodyBytes, isSearchPost);
      if (body.kind === 'form') params = [...params, ...new URLSearchParams(body.value)];
      else if (isSearchPost && body.kind === 'json')
        throw new FhirError('unsupported-media-type', 'POST _search takes application/x-www-form-urlencoded');
      const request: FhirRequest = {
        method: method as FhirMethod,
        path,
        params,
        headers: fhirHeaders(exchange.header),
        baseUrl: options.baseUrl ?? `${exchange.origin}${basePath}`,
        ...(body.kind === 'json' ? { body: body.value } : {}),
      };
      const requestId = exchange.header('x-request-id');
      const ctx = requestContext({
        ...(requestId ? { requestId } : {}),
        ...(await options.context?.(exchange)),
      });
      return toResult(request, await server.handle(ctx, request), pretty, method === 'HEAD');
    } catch (error) {
      return errorResult(error, pretty);
    }
  };
}
