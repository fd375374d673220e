import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { FetchHandler } from '../handler.js';
import { requestBodyStream } from './node.js';

/** Options of {@link fhirFastifyPlugin}. */
export interface FhirFastifyOptions {
  /** The fetch handler; its `basePath` must equal the plugin's `prefix`. */
  handler: FetchHandler;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Fastify plugin serving the FHIR REST API under its `prefix`. It is
 * deliberately encapsulated (not wrapped with `fastify-plugin`): it removes
 * Fastify's body parsers and hands the raw body stream to the fetch handler,
 * and that must not leak into the rest of the app. The handler's `basePath`
 * must equal `prefix`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createFhirHandler } from '@fhirstream/http';
 * import { fhirFastifyPlugin } from '@fhirstream/http/fastify';
 *
 * const app = Fastify();
 * app.register(fhirFastifyPlugin, { prefix: '/fhir', handler: createFhirHandler(server, { basePath: '/fhir' }) });
 * app.get('/health', async () => ({ ok: true }));
 * await app.listen({ port: 8080 });
 * ```
 */
export async function fhirFastifyPlugin(app: FastifyInstance, options: FhirFastifyOptions): Promise<void> {
  const { handler } = options;
  app.removeAllContentTypeParsers();
  // Every body, whatever its content type, is passed on unread: the handler parses and limits it.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const route = async (request: FastifyRequest, reply: FastifyReply) => {
    const response = await handler(toRequest(request));
    return sendResponse(response, reply);
  };
  app.route({ method: METHODS, url: '/', exposeHeadRoute: false, handler: route });
  app.route({ method: METHODS, url: '/*', exposeHeadRoute: false, handler: route });
  // Under the prefix, everything answers FHIR: other methods reach the handler (405), and
  // Fastify's own errors (e.g. an unparsable Content-Type) become OperationOutcomes.
  app.setNotFoundHandler(route);
  app.setErrorHandler((error: FastifyError, _request, reply) => sendOutcome(error, reply));
}

/** Alias of {@link fhirFastifyPlugin}: `app.register(fhirFastify, { prefix: '/fhir', handler })`. */
export const fhirFastify = fhirFastifyPlugin;

/**
 * A `frameworkErrors` option for the Fastify factory, answering the errors
 * Fastify raises before routing (a malformed URL, a bad `Accept-Version`…)
 * as OperationOutcomes. It applies to the whole app, so it is opt-in.
 *
 * @example
 * ```ts
 * const app = Fastify({ frameworkErrors: fhirFrameworkErrors });
 * ```
 */
export function fhirFrameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  void sendOutcome(error, reply);
}

function sendOutcome(error: FastifyError, reply: FastifyReply): FastifyReply {
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) reply.log.error(error);
  const code =
    status === 413
      ? 'too-costly'
      : status === 415
        ? 'not-supported'
        : status >= 500
          ? 'exception'
          : 'invalid';
  return reply
    .code(status)
    .header('content-type', 'application/fhir+json; charset=utf-8')
    .send(
      JSON.stringify({
        resourceType: 'OperationOutcome',
        issue: [
          {
            severity: status >= 500 ? 'fatal' : 'error',
            code,
            diagnostics: status >= 500 ? 'Internal server error' : error.message,
          },
        ],
      }),
    );
}

function toRequest(request: FastifyRequest): Request {
  const raw = request.raw;
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else headers.set(k, v);
  }
  const method = raw.method ?? 'GET';
  const host = raw.headers.host ?? 'localhost';
  const body = request.body;
  const hasBody = method !== 'GET' && method !== 'HEAD' && body instanceof Readable;
  return new Request(`${request.protocol}://${host}${raw.url ?? '/'}`, {
    method,
    headers,
    ...(hasBody ? { body: requestBodyStream(body), duplex: 'half' } : {}),
  } as RequestInit);
}

async function sendResponse(response: Response, reply: FastifyReply): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, key) => {
    reply.header(key, value);
  });
  if (!response.body) return reply.send();
  return reply.send(Buffer.from(await response.arrayBuffer()));
}
