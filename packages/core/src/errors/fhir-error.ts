import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** Extra detail for a {@link FhirError}. */
export interface FhirErrorOptions {
  /** FHIRPath expressions of the elements at fault, e.g. `Patient.gender`. */
  expression?: string[];
  /** Further issues to carry in the same OperationOutcome. */
  issues?: OperationOutcomeIssue[];
  /** HTTP status to use instead of the code's default. */
  status?: number;
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** Response headers to send with the error, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

/**
 * The one error type of Fhirstream: a stable {@link ErrorCode}, an HTTP status
 * and an OperationOutcome that can be sent to a client as it is.
 *
 * @example
 * ```ts
 * throw new FhirError('version-conflict', 'Patient/1 is at version 3, not 2');
 * // later, in the HTTP layer:
 * // new Response(JSON.stringify(err.outcome), { status: err.status })
 * ```
 */
export class FhirError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly outcome: OperationOutcome;
  /** Response headers to send with the error (see {@link FhirErrorOptions.headers}). */
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: FhirErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FhirError';
    this.code = code;
    const entry = ERROR_CODES[code];
    this.status = options.status ?? entry.status;
    this.headers = options.headers;
    const first: OperationOutcomeIssue = {
      severity: this.status >= 500 ? 'fatal' : 'error',
      code: entry.issue as OperationOutcomeIssue['code'],
      diagnostics: message,
      details: { coding: [{ system: 'https://fhirstream.dev/CodeSystem/error', code }], text: message },
    };
    if (options.expression?.length) first.expression = options.expression;
    this.outcome = { resourceType: 'OperationOutcome', issue: [first, ...(options.issues ?? [])] };
  }

  /** True when `value` is a FhirError (also across package copies). */
  static is(value: unknown): value is FhirError {
    return (
      value instanceof FhirError ||
      (value instanceof Error && value.name === 'FhirError' && 'outcome' in value)
    );
  }

  /**
   * Wrap any thrown value: FhirErrors pass through, anything else becomes an
   * `internal` error whose message does not leak internals to clients.
   */
  static from(value: unknown): FhirError {
    if (FhirError.is(value)) return value;
    return new FhirError('internal', 'Internal server error', { cause: value });
  }
}

/**
 * Build an informational or warning OperationOutcome (for `Prefer: return=OperationOutcome`
 * and for warnings carried in search results).
 *
 * @example
 * ```ts
 * const oo = operationOutcome('information', 'informational', 'All OK');
 * ```
 */
export function operationOutcome(
  severity: OperationOutcomeIssue['severity'],
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression?: string[],
): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression?.length) issue.expression = expression;
  return { resourceType: 'OperationOutcome', issue: [issue] };
}
