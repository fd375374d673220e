/**
 * Opaque bundle-paging cursors: the sort key of the row a page ends (or
 * starts) at, the snapshot seq of the first page, and a fingerprint of the
 * query, base64url-encoded. Paging by key (not by offset) and hiding rows
 * created after the snapshot keeps pages stable while writes continue.
 */
import { createHash } from 'node:crypto';
import { FhirError } from '../../errors/fhir-error.js';
import type { SearchParams } from '../types.js';

/** One sort value: a string, a number, or null (missing; sorts last). */
export type SortValue = string | number | null;

/** The full sort key of a row: the values of the `_sort` keys, then resource type and id (the tie-breakers). */
export type SortTuple = SortValue[];

/** What a cursor carries. */
export interface PageCursor {
  /** Rows created after this seq are not part of the result. */
  snapshot: number;
  /** `next`: rows after `key`; `previous`: rows before `key`. */
  direction: 'next' | 'previous';
  key: SortTuple;
  /** Fingerprint of the query the cursor belongs to. */
  query: string;
}

/**
 * A fingerprint of a query's canonical parameters (order-sensitive only where order matters).
 *
 * @example
 * ```ts
 * queryFingerprint('Patient', [['name', 'x']]) === queryFingerprint('Patient', [['name', 'x']]); // true
 * ```
 */
export function queryFingerprint(scope: string, selfParams: SearchParams): string {
  const canonical = JSON.stringify([
    scope,
    [...selfParams].sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1])),
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Encode a cursor as an opaque, URL-safe string.
 *
 * @example
 * ```ts
 * const c = encodeCursor({ snapshot: 42, direction: 'next', key: ['Smith', 'Patient', '7'], query: 'abc' });
 * decodeCursor(c, 'abc').snapshot; // 42
 * ```
 */
export function encodeCursor(cursor: PageCursor): string {
  const json = JSON.stringify([
    1,
    cursor.snapshot,
    cursor.direction === 'next' ? 'n' : 'p',
    cursor.key,
    cursor.query,
  ]);
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Decode a cursor; `FhirError('invalid')` when malformed or issued for another query. */
export function decodeCursor(raw: string, query: string): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new FhirError('invalid', 'Invalid paging cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== 1 ||
    typeof parsed[1] !== 'number' ||
    (parsed[2] !== 'n' && parsed[2] !== 'p') ||
    !Array.isArray(parsed[3]) ||
    !parsed[3].every((v: unknown) => v === null || typeof v === 'string' || typeof v === 'number') ||
    typeof parsed[4] !== 'string'
  )
    throw new FhirError('invalid', 'Invalid paging cursor');
  if (parsed[4] !== query) throw new FhirError('invalid', 'The paging cursor belongs to another search');
  return {
    snapshot: parsed[1],
    direction: parsed[2] === 'n' ? 'next' : 'previous',
    key: parsed[3],
    query: parsed[4],
  };
}

/**
 * Compare two sort tuples; `descending[i]` reverses key i. Nulls sort last in
 * both directions; the trailing type and id always ascend.
 *
 * @example
 * ```ts
 * compareSortTuples(['a', 'Patient', '1'], ['b', 'Patient', '0'], [true]); // 1 (descending: 'b' first)
 * ```
 */
export function compareSortTuples(a: SortTuple, b: SortTuple, descending: readonly boolean[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    let c: number;
    if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else c = cmp(String(x), String(y));
    if (c !== 0) return descending[i] ? -c : c;
  }
  return 0;
}
