import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
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
    const host = req.headers.host ?? 'localhost';
    const protocol = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      else headers.set(k, v);
    }
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const request = new Request(`${protocol}://${host}${path}`, {
      method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
    handler(request)
      .then((response) => writeResponse(response, res))
      .catch((error) => (next ? next(error) : fail(res, error)));
  };
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

function fail(res: ServerResponse, error: unknown): void {
  console.error('[fhirstream]', error);
  if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/fhir+json' });
  res.end(
    JSON.stringify({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'fatal', code: 'exception', diagnostics: 'Internal server error' }],
    }),
  );
}
