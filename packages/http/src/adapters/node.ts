import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { FetchHandler } from '../handler.js';

/** A node:http / Express / Connect handler; `next` is called for paths outside `basePath`. */
export type NodeHandler = (
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void;

/**
 * Adapt a fetch handler to node:http, Express and Connect. The full original
 * URL is used (Express's `originalUrl`), so mount it at the same path as the
 * handler's `basePath`: `app.use('/fhir', toNodeHandler(handler, { basePath: '/fhir' }))`
 * or `http.createServer(toNodeHandler(handler))`.
 *
 * @example
 * ```ts
 * import express from 'express';
 * const app = express();
 * app.use('/fhir', toNodeHandler(createFhirHandler(server, { basePath: '/fhir' }), { basePath: '/fhir' }));
 * ```
 */
export function toNodeHandler(handler: FetchHandler, options: { basePath?: string } = {}): NodeHandler {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  return (req, res, next) => {
    const path = req.originalUrl ?? req.url ?? '/';
    const pathname = path.split('?')[0]!;
    if (next && basePath && pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return next();
    const host = rawHeader(req.rawHeaders, 'host') ?? 'localhost';
    const protocol = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const fail = (error: unknown) => (next ? next(error) : failWith500(res, error));
    if (handler.fhir) {
      // The fast path: no WHATWG Request/Response, the core reads and writes plain objects.
      handler
        .fhir({
          method,
          url: path,
          origin: `${protocol}://${host}`,
          header: (name) => rawHeader(req.rawHeaders, name),
          body: hasBody ? requestBodyStream(req) : undefined,
        })
        .then((result) => {
          const headers: Record<string, string | number> = result.headers;
          if (result.body !== null) headers['content-length'] = Buffer.byteLength(result.body);
          res.writeHead(result.status, headers);
          res.end(result.body ?? undefined);
        })
        .catch(fail);
      return;
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      else headers.set(k, v);
    }
    const request = new Request(`${protocol}://${host}${path}`, {
      method,
      headers,
      ...(hasBody ? { body: requestBodyStream(req), duplex: 'half' } : {}),
    } as RequestInit);
    handler(request)
      .then((response) => writeResponse(response, res))
      .catch(fail);
  };
}

/**
 * A node request body as a web stream, with backpressure. Unlike
 * `Readable.toWeb`, cancelling it (the handler refusing a body over the limit)
 * does not destroy the request, which would destroy the socket and lose the
 * 413 answer: the rest of the body is drained instead, as node:http does for
 * bodies a handler never reads.
 */
export function requestBodyStream(req: Readable): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      req.on('data', (chunk: Buffer | string) => {
        if (settled) return;
        controller.enqueue(
          typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk),
        );
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => settle(() => controller.close()));
      req.once('error', (error) => settle(() => controller.error(error)));
      // the client went away mid-body: fail the read rather than leave it pending
      req.once('close', () => settle(() => controller.error(new Error('The request was aborted'))));
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      settled = true;
      req.resume();
    },
  });
}

/** Write a WHATWG Response to a node ServerResponse. */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (!response.body) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const body = new Uint8Array(await response.arrayBuffer());
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

function failWith500(res: ServerResponse, error: unknown): void {
  console.error('[fhirstream]', error);
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/fhir+json' });
  res.end(
    JSON.stringify({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'fatal', code: 'exception', diagnostics: 'Internal server error' }],
    }),
  );
}

/**
 * A header by lower-case name from `rawHeaders` (name, value, name, value…),
 * repeated values joined with `, `. Reading `req.headers` would make Node
 * build the whole headers object on every request.
 */
function rawHeader(raw: string[], name: string): string | null {
  let found: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name)
      found = found === null ? raw[i + 1]! : `${found}, ${raw[i + 1]}`;
  }
  return found;
}
