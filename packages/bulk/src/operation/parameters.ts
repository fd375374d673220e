/**
 * Operation parameters from the query string and from a `Parameters` body, as
 * one list of `[name, value]` pairs (primitive `value[x]` as text, a
 * `valueReference` as its reference), plus small parsers shared by the operations.
 */
import { FhirError, parseDateRange, type SearchParams } from '@fhirstream/core';

interface ParametersBody {
  resourceType: 'Parameters';
  parameter?: ParameterEntry[];
}

/** One `Parameters.parameter` (with parts). */
export interface ParameterEntry {
  name: string;
  part?: ParameterEntry[];
  resource?: unknown;
  [valueX: string]: unknown;
}

/**
 * The text of a parameter's primitive `value[x]` (or `valueReference.reference`), undefined when it has none.
 *
 * @example
 * ```ts
 * parameterValue({ name: '_since', valueInstant: '2024-01-01T00:00:00Z' }); // '2024-01-01T00:00:00Z'
 * ```
 */
export function parameterValue(p: ParameterEntry): string | undefined {
  for (const key of Object.keys(p)) {
    if (!key.startsWith('value')) continue;
    const v = p[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (key === 'valueReference' && v && typeof (v as { reference?: unknown }).reference === 'string')
      return (v as { reference: string }).reference;
  }
  return undefined;
}

/**
 * The `Parameters` body's entries, or `[]` when there is no body; 400 when the body is not `Parameters`.
 *
 * @example
 * ```ts
 * parametersOf({ resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient' }] });
 * ```
 */
export function parametersOf(body: unknown): ParameterEntry[] {
  if (body === undefined || body === null) return [];
  if (typeof body !== 'object' || (body as { resourceType?: unknown }).resourceType !== 'Parameters') {
    throw new FhirError('invalid', 'The body of this operation must be a Parameters resource');
  }
  const list = (body as ParametersBody).parameter ?? [];
  if (!Array.isArray(list)) throw new FhirError('invalid', 'Parameters.parameter must be an array');
  return list;
}

/**
 * Query parameters followed by the primitive parameters of a `Parameters` body.
 *
 * @example
 * ```ts
 * operationParams([['_count', '10']], { resourceType: 'Parameters', parameter: [{ name: 'start', valueDate: '2020' }] });
 * // [['_count', '10'], ['start', '2020']]
 * ```
 */
export function operationParams(query: SearchParams, body: unknown): SearchParams {
  const out: SearchParams = [...query];
  for (const p of parametersOf(body)) {
    const v = parameterValue(p);
    if (v !== undefined) out.push([p.name, v]);
  }
  return out;
}

/**
 * Comma-separated lists of every occurrence of `name`, flattened, trimmed, without empties.
 *
 * @example
 * ```ts
 * listParam([['_type', 'Patient,Observation'], ['_type', 'Condition']], '_type'); // ['Patient', 'Observation', 'Condition']
 * ```
 */
export function listParam(params: SearchParams, name: string): string[] | undefined {
  const values = params.filter(([n]) => n === name);
  if (values.length === 0) return undefined;
  return values.flatMap(([, v]) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/**
 * The last value of `name`, or undefined.
 *
 * @example
 * ```ts
 * singleParam([['_since', '2020']], '_since'); // '2020'
 * ```
 */
export function singleParam(params: SearchParams, name: string): string | undefined {
  let found: string | undefined;
  for (const [n, v] of params) if (n === name) found = v;
  return found;
}

/**
 * A FHIR date/dateTime/instant parameter as its inclusive ms range (400 when malformed).
 *
 * @example
 * ```ts
 * dateParam([['start', '2020']], 'start'); // { low: 1577836800000, high: 1609459199999 }
 * ```
 */
export function dateParam(params: SearchParams, name: string): { low: number; high: number } | undefined {
  const v = singleParam(params, name);
  return v === undefined ? undefined : parseDateRange(v, name);
}

/**
 * A non-negative integer parameter (400 when malformed), capped at `max`.
 *
 * @example
 * ```ts
 * intParam([['_count', '20']], '_count', 100); // 20
 * ```
 */
export function intParam(params: SearchParams, name: string, max: number): number | undefined {
  const v = singleParam(params, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new FhirError('invalid', `Invalid ${name}: ${v}`, { expression: [name] });
  return Math.min(Number(v), max);
}

/**
 * Throw 400 for parameters not in `known` when the caller asked for `Prefer: handling=strict`.
 *
 * @example
 * ```ts
 * rejectUnknown([['foo', '1']], new Set(['_type']), 'strict'); // throws FhirError('unknown-parameter')
 * ```
 */
export function rejectUnknown(
  params: SearchParams,
  known: ReadonlySet<string>,
  handling: 'strict' | 'lenient' | undefined,
): string[] {
  const unknown = [...new Set(params.map(([n]) => n).filter((n) => !known.has(n)))];
  if (unknown.length > 0 && handling === 'strict') {
    throw new FhirError('unknown-parameter', `Unknown parameter(s): ${unknown.join(', ')}`, {
      expression: unknown,
    });
  }
  return unknown;
}

/** `base?name=value&…`, encoded. */
export function urlWithParams(base: string, params: SearchParams): string {
  if (params.length === 0) return base;
  return `${base}?${params.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&')}`;
}
