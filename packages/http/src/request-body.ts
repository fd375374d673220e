import { FhirError } from '@fhirstream/core';
import type { HttpExchange } from './exchange.js';

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json', 'text/json'];
const XML_TYPES = ['application/fhir+xml', 'application/xml', 'text/xml'];

/** What the request body turned out to be. */
export type ParsedBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType: string }
  | { kind: 'form'; value: string };

/**
 * Read and parse a request body within `maxBytes`: JSON (FHIR JSON, JSON
 * Patch) or, for POST `_search`, a form. XML is refused with 415, an oversized
 * body with 413, malformed JSON with 400 — each as a FhirError.
 *
 * @example
 * ```ts
 * const body = await readBody(exchange, 16 * 1024 * 1024, false);
 * ```
 */
export async function readBody(
  exchange: HttpExchange,
  maxBytes: number,
  formAllowed: boolean,
): Promise<ParsedBody> {
  const declared = Number(exchange.header('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!exchange.body) return { kind: 'none' };
  const contentType = (exchange.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const bytes = await readLimited(exchange.body, maxBytes);
  if (bytes.length === 0) return { kind: 'none' };
  if (formAllowed && contentType === 'application/x-www-form-urlencoded')
    return { kind: 'form', value: new TextDecoder().decode(bytes) };
  if (XML_TYPES.includes(contentType))
    throw new FhirError('unsupported-media-type', 'XML is not supported; send application/fhir+json');
  if (contentType && !JSON_TYPES.includes(contentType))
    throw new FhirError('unsupported-media-type', `Unsupported content type: ${contentType}`);
  try {
    return {
      kind: 'json',
      value: JSON.parse(new TextDecoder().decode(bytes)),
      contentType: contentType || 'application/fhir+json',
    };
  } catch (error) {
    throw new FhirError('invalid', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

async function readLimited(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes); // leaving the loop cancels the rest of the body
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function tooLarge(maxBytes: number): FhirError {
  return new FhirError('too-large', `The request body is larger than ${maxBytes} bytes`);
}
