import type { BundleEntry } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error.js';
import type { SearchParams } from '../../search/types.js';
import type { FhirMethod } from '../interaction.js';
import type { FhirRequest, FhirRequestHeaders } from '../types.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The {@link FhirRequest} a Bundle entry stands for: its `request.method` and
 * `request.url` (relative, or absolute under `baseUrl`), its conditional
 * headers, and its resource as the body (a Binary holding a JSON Patch is
 * decoded for PATCH).
 */
export function entryRequest(
  entry: BundleEntry,
  index: number,
  baseUrl: string,
  headers: FhirRequestHeaders,
): FhirRequest {
  const req = entry.request;
  if (!req?.method || !req.url)
    throw new FhirError('invalid', `Bundle.entry[${index}] needs request.method and request.url`);
  if (!METHODS.has(req.method))
    throw new FhirError('invalid', `Bundle.entry[${index}]: unknown method ${req.method}`);
  let url = req.url;
  if (url.startsWith(`${baseUrl}/`)) url = url.slice(baseUrl.length + 1);
  else if (/^[a-z]+:/i.test(url))
    throw new FhirError('invalid', `Bundle.entry[${index}]: ${url} is not on this server`);
  const q = url.indexOf('?');
  const path = (q >= 0 ? url.slice(0, q) : url).replace(/^\//, '');
  const params: SearchParams = q >= 0 ? [...new URLSearchParams(url.slice(q + 1))] : [];
  const out: FhirRequest = { method: req.method as FhirMethod, path, params, baseUrl };
  const h: FhirRequestHeaders = {};
  if (req.ifMatch) h.ifMatch = req.ifMatch;
  if (req.ifNoneMatch) h.ifNoneMatch = req.ifNoneMatch;
  if (req.ifModifiedSince) h.ifModifiedSince = req.ifModifiedSince;
  if (req.ifNoneExist) h.ifNoneExist = req.ifNoneExist;
  if (headers.preferHandling) h.preferHandling = headers.preferHandling;
  let body: unknown = entry.resource;
  if (req.method === 'PATCH' && entry.resource?.resourceType === 'Binary') {
    const binary = entry.resource as { contentType?: string; data?: string };
    h.contentType = binary.contentType ?? 'application/json-patch+json';
    try {
      body = JSON.parse(Buffer.from(binary.data ?? '', 'base64').toString('utf8'));
    } catch {
      throw new FhirError('invalid', `Bundle.entry[${index}]: the Binary does not hold a JSON Patch`);
    }
  } else if (req.method === 'PATCH') h.contentType = 'application/fhir+json';
  out.headers = h;
  if (body !== undefined) out.body = body;
  return out;
}

/** `201 Created` and friends, for `Bundle.entry.response.status`. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
};
