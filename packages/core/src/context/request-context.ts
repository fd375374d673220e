import { randomUUID } from 'node:crypto';

/** Who is asking, passed explicitly from the HTTP layer into core — never read from a global. */
export interface RequestContext {
  /** Correlates logs, audit events and responses. */
  readonly requestId: string;
  /** The authenticated caller, when there is one (e.g. a SMART client or a user). */
  readonly identity?: { readonly subject: string; readonly [claim: string]: unknown };
  /** Granted scopes (e.g. SMART `patient/*.read`). */
  readonly scopes?: readonly string[];
  readonly tenant?: string;
  /**
   * Read-your-writes: reads wait (bounded) until projections have applied
   * this seq. `'head'` means the head of the log at the time of the read.
   */
  readonly minSeq?: number | 'head';
  /** `strong` (default): searches see every write acknowledged before they started. */
  readonly consistency?: 'strong' | 'eventual';
  readonly signal?: AbortSignal;
}

/**
 * A context for a request (or for a system task such as an import).
 *
 * @example
 * ```ts
 * const ctx = requestContext({ identity: { subject: 'Practitioner/1' }, scopes: ['user/*.read'] });
 * ```
 */
export function requestContext(init: Partial<RequestContext> = {}): RequestContext {
  return { requestId: init.requestId ?? randomUUID(), ...init };
}
