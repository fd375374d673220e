import type { FhirRequest, FhirResponse } from '@fhirstream/core';
import { etagOf, FhirError } from '@fhirstream/core';
import type { HttpResult } from './exchange.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * Turn a {@link FhirResponse} into an HTTP result: ETag, Last-Modified, an
 * absolute Location, `Prefer: return=…` for writes, and the stored bytes
 * served as they are when nothing about the representation changed.
 */
export function toResult(
  request: FhirRequest,
  response: FhirResponse,
  pretty: boolean,
  head: boolean,
): HttpResult {
  const headers: Record<string, string> = { 'content-type': FHIR_JSON };
  const stored = response.stored;
  if (stored) {
    headers.etag = etagOf(stored.versionId);
    headers['last-modified'] = httpDate(stored);
  }
  if (response.location) {
    const absolute = `${request.baseUrl}/${response.location}`;
    headers.location = absolute;
    if (response.status === 201) headers['content-location'] = absolute;
  }
  if (response.headers) for (const [k, v] of Object.entries(response.headers)) headers[k.toLowerCase()] = v;
  if (response.status === 304 || head) return { status: response.status, headers, body: null };
  if (response.raw) {
    headers['content-type'] = response.raw.contentType;
    return { status: response.status, headers, body: response.raw.body };
  }
  const isWrite = request.method !== 'GET' && request.method !== 'HEAD' && response.outcome !== undefined;
  let body: Uint8Array | string | null;
  if (isWrite && request.headers?.preferReturn === 'minimal') body = null;
  else if (isWrite && request.headers?.preferReturn === 'OperationOutcome')
    body = json(response.outcome, pretty);
  else if (response.resource) body = json(response.resource, pretty);
  else if (stored?.body && !stored.deleted) body = pretty ? json(stored.resource, true) : stored.body;
  else if (response.outcome) body = json(response.outcome, pretty);
  else body = null;
  return { status: response.status, headers, body };
}

/** An error as an OperationOutcome result. */
export function errorResult(error: unknown, pretty: boolean): HttpResult {
  const e = FhirError.from(error);
  // A timeout is the server protecting itself (see `maxProjectionLag`), not a fault to log.
  if (e.status >= 500 && e.code !== 'timeout') console.error('[fhirstream]', e.cause ?? e);
  return {
    status: e.status,
    headers: { ...e.headers, 'content-type': FHIR_JSON },
    body: json(e.outcome, pretty),
  };
}

function json(value: unknown, pretty: boolean): string {
  return pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
}

const httpDates = new WeakMap<object, string>();

/** `Last-Modified` of a stored version (memoized: cached versions are served many times). */
function httpDate(stored: { lastUpdated: string }): string {
  let date = httpDates.get(stored);
  if (date === undefined) {
    date = new Date(stored.lastUpdated).toUTCString();
    httpDates.set(stored, date);
  }
  return date;
}
