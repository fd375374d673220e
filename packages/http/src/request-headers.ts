import { FhirError, type FhirRequestHeaders } from '@fhirstream/core';

/**
 * The FHIR-relevant request headers (`If-Match`, `If-None-Exist`, `Prefer`, …).
 *
 * @example
 * ```ts
 * fhirHeaders((name) => (name === 'prefer' ? 'return=minimal, handling=strict' : null));
 * // { preferReturn: 'minimal', preferHandling: 'strict' }
 * ```
 */
export function fhirHeaders(header: (name: string) => string | null): FhirRequestHeaders {
  const out: FhirRequestHeaders = {};
  const set = (key: keyof FhirRequestHeaders, name: string) => {
    const v = header(name);
    if (v) (out as Record<string, string>)[key] = v;
  };
  set('ifMatch', 'if-match');
  set('ifNoneMatch', 'if-none-match');
  set('ifModifiedSince', 'if-modified-since');
  set('ifNoneExist', 'if-none-exist');
  set('contentType', 'content-type');
  const prefer = header('prefer');
  if (!prefer) return out;
  for (const part of prefer.split(/[,;]/)) {
    const [key, value] = part
      .trim()
      .split('=')
      .map((s) => s?.trim().replace(/^"|"$/g, ''));
    if (
      key === 'return' &&
      (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')
    )
      out.preferReturn = value;
    else if (key === 'handling' && (value === 'strict' || value === 'lenient')) out.preferHandling = value;
    else if (key === 'respond-async') out.preferAsync = true;
  }
  return out;
}

const XML_FORMATS = new Set(['xml', 'text/xml', 'application/xml', 'application/fhir+xml']);
const JSON_FORMATS = new Set(['json', 'text/json', 'application/json', 'application/fhir+json']);
/** Bulk Data files are served as ndjson; asking for them is not a mismatch. */
const NDJSON_TYPES = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

/**
 * Content negotiation: `_format` wins over `Accept`. JSON is served; XML (or
 * anything else that excludes JSON) answers 406.
 */
export function negotiate(format: string | null, accept: string | null): void {
  if (format !== null) {
    const f = format.split(';')[0]!.trim().toLowerCase();
    if (JSON_FORMATS.has(f)) return;
    throw new FhirError(
      'not-acceptable',
      XML_FORMATS.has(f) ? 'XML is not supported; use _format=json' : `Unsupported _format: ${format}`,
    );
  }
  if (!accept) return;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  if (
    types.some(
      (t) => JSON_FORMATS.has(t) || NDJSON_TYPES.has(t) || t === '*/*' || t === 'application/*' || t === '',
    )
  )
    return;
  throw new FhirError('not-acceptable', `Cannot produce ${accept}; this server speaks application/fhir+json`);
}
