/**
 * The stable catalogue of Fhirstream error codes. Each code maps to one HTTP
 * status and one FHIR `OperationOutcome.issue.code` (from the R4 IssueType
 * value set). Codes never change meaning once published; add new ones instead.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from '@fhirstream/core';
 * ERROR_CODES['version-conflict'].status; // 412
 * ```
 */
export const ERROR_CODES = {
  /** The input is not well-formed or violates a FHIR rule. */
  invalid: { status: 400, issue: 'invalid' },
  /** A resource failed structural validation (element, type, cardinality, binding). */
  'invalid-resource': { status: 400, issue: 'structure' },
  /** A search parameter, modifier or prefix is unknown (strict handling). */
  'unknown-parameter': { status: 400, issue: 'invalid' },
  /** The request asks for something this server does not implement. */
  'not-supported': { status: 400, issue: 'not-supported' },
  /** The caller may not do this (an access policy refused it). */
  forbidden: { status: 403, issue: 'forbidden' },
  /** The resource is well-formed but breaks a business rule (e.g. a patch result that is not a valid resource). */
  unprocessable: { status: 422, issue: 'processing' },
  /** No resource with that type and id has ever existed. */
  'not-found': { status: 404, issue: 'not-found' },
  /** The resource existed but its current version is a delete. */
  gone: { status: 410, issue: 'deleted' },
  /** An If-Match (version precondition) did not hold. */
  'version-conflict': { status: 412, issue: 'conflict' },
  /** A conditional interaction matched more than one resource. */
  'multiple-matches': { status: 412, issue: 'multiple-matches' },
  /** A create named an id that already exists. */
  'already-exists': { status: 409, issue: 'duplicate' },
  /** The HTTP method is not allowed on this URL. */
  'method-not-allowed': { status: 405, issue: 'not-supported' },
  /** The requested representation (e.g. XML) is not available. */
  'not-acceptable': { status: 406, issue: 'not-supported' },
  /** The request body's media type is not supported. */
  'unsupported-media-type': { status: 415, issue: 'not-supported' },
  /** The request body is larger than the configured limit. */
  'too-large': { status: 413, issue: 'too-costly' },
  /** Too many concurrent jobs or requests. */
  'too-many-requests': { status: 429, issue: 'throttled' },
  /** A bounded wait (e.g. read-your-writes) ran out. */
  timeout: { status: 503, issue: 'timeout' },
  /** The component is not ready yet (e.g. a projection still catching up). */
  'not-ready': { status: 503, issue: 'transient' },
  /** The store or another component was closed. */
  closed: { status: 503, issue: 'transient' },
  /** A bug or an unexpected failure; never caused by input alone. */
  internal: { status: 500, issue: 'exception' },
} as const satisfies Record<string, { status: number; issue: string }>;

/** One of the stable error codes in {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;
