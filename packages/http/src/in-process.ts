import type { FetchHandler } from './handler.js';

/** Send requests to a handler without a network, like Hono's `app.request()` or Fastify's `inject()`. */
export interface InProcessClient {
  /** `path` is relative to the app root (e.g. `/fhir/Patient/1`); a JSON `body` object is serialized with `application/fhir+json`. */
  request(path: string, init?: Omit<RequestInit, 'body'> & { body?: unknown }): Promise<Response>;
  /** Like `request`, parsing the JSON answer. */
  json<T = unknown>(
    path: string,
    init?: Omit<RequestInit, 'body'> & { body?: unknown },
  ): Promise<{ status: number; headers: Headers; body: T }>;
}

/**
 * An in-process client for tests of apps and plugins built on Fhirstream.
 *
 * @example
 * ```ts
 * const client = inProcessClient(createFhirHandler(server, { basePath: '/fhir' }));
 * const { status, body } = await client.json('/fhir/Patient', { method: 'POST', body: { resourceType: 'Patient' } });
 * ```
 */
export function inProcessClient(handler: FetchHandler, origin = 'http://localhost'): InProcessClient {
  const request: InProcessClient['request'] = (path, init = {}) => {
    const { body, ...rest } = init;
    const headers = new Headers(rest.headers);
    let payload: BodyInit | undefined;
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof Uint8Array || body instanceof URLSearchParams)
        payload = body as BodyInit;
      else {
        payload = JSON.stringify(body);
        if (!headers.has('content-type')) headers.set('content-type', 'application/fhir+json');
      }
    }
    return handler(
      new Request(new URL(path, origin), {
        ...rest,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
      }),
    );
  };
  return {
    request,
    async json(path, init) {
      const res = await request(path, init);
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        body: (text ? JSON.parse(text) : undefined) as never,
      };
    },
  };
}
