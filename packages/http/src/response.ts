import type { FhirRequest, FhirResponse } from '@fhirstream/core';
import { etagOf, FhirError } from '@fhirstream/core';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * Turn a {@link FhirResponse} into a WHATWG Response: ETag, Last-Modified,
 * an absolute Location, `Prefer: return=…` for writes, and the stored bytes
 * served as they are when nothing about the representation changed.
 */
export function toResponse(
  request: FhirRequest,
  response: FhirResponse,
  pretty: boolean,
  head: boolean,
): Response {
  const headers = new Headers({ 'content-type': FHIR_JSON });
  const stored = response.stored;
  if (stored) {
    headers.set('etag', etagOf(stored.versionId));
    headers.set('last-modified', new Date(stored.lastUpdated).toUTCString());
  }
  if (response.location) {
    const absolute = `${request.baseUrl}/${response.location}`;
    headers.set('location', absolute);
    if (response.status === 201) headers.set('content-location', absolute);
  }
  for (const [k, v] of Object.entries(response.headers ?? {})) headers.set(k, v);
  if (response.status === 304 || head) return new Response(null, { status: response.status, headers });
  if (response.raw) {
    headers.set('content-type', response.raw.contentType);
    return new Response(response.raw.body as BodyInit, { status: response.status, headers });
  }

  const isWrite = request.method !== 'GET' && request.method !== 'HEAD' && response.outcome !== undefined;
  let body: BodyInit | null;
  if (isWrite && request.headers?.preferReturn === 'minimal') body = null;
  else if (isWrite && request.headers?.preferReturn === 'OperationOutcome')
    body = json(response.outcome, pretty);
  else if (response.resource) body = json(response.resource, pretty);
  else if (stored?.body && !stored.deleted)
    body = pretty ? json(stored.resource, true) : (stored.body as Uint8Array<ArrayBuffer>);
  else if (response.outcome) body = json(response.outcome, pretty);
  else body = null;
  return new Response(body, { status: response.status, headers });
}

/** An error as an OperationOutcome response. */
export function errorResponse(error: unknown, pretty: boolean): Response {
  const e = FhirError.from(error);
  if (e.status >= 500) console.error('[fhirstream]', e.cause ?? e);
  return new Response(json(e.outcome, pretty), { status: e.status, headers: { 'content-type': FHIR_JSON } });
}

function json(value: unknown, pretty: boolean): string {
  return pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
}
