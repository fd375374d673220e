/**
 * Parsing of search parameter values (R4 search.html §3.1.1.4–3.1.1.5):
 * escaping, prefixes, dates with precision, numbers with implied precision,
 * tokens, quantities and references.
 */
import { FhirError } from '../../errors/fhir-error.js';
import { normalizeString } from '../extraction/strings.js';
import type {
  DateQuery,
  NumberQuery,
  QuantityQuery,
  ReferenceQuery,
  SearchPrefix,
  StringQuery,
  TokenQuery,
} from './types.js';

const PREFIXES = new Set<SearchPrefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

const invalid = (param: string, message: string) =>
  new FhirError('invalid', `Invalid value for search parameter ${param}: ${message}`, {
    expression: [param],
  });

/**
 * Split `raw` on unescaped `sep` (`,` for OR, `|` for token parts), keeping
 * escapes in the parts (unescape each part with {@link unescapeValue}).
 *
 * @example
 * ```ts
 * splitEscaped('a\\,b,c', ','); // ['a\\,b', 'c']
 * ```
 */
export function splitEscaped(raw: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\' && i + 1 < raw.length) {
      current += ch + raw[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * Remove search escapes: `\,` `\|` `\$` `\\`.
 *
 * @example
 * ```ts
 * unescapeValue('a\\,b'); // 'a,b'
 * ```
 */
export function unescapeValue(raw: string): string {
  return raw.replace(/\\([,|$\\])/g, '$1');
}

/**
 * Fold a string the way the index does (the extraction's normalization:
 * accents and case removed, whitespace collapsed).
 *
 * @example
 * ```ts
 * normalizeSearchString('  Zoë  Ann '); // 'zoe ann'
 * ```
 */
export function normalizeSearchString(value: string): string {
  return normalizeString(value);
}

/** Split an optional two-letter prefix off a number/date/quantity value. */
export function splitPrefix(raw: string, param: string): { prefix: SearchPrefix; rest: string } {
  const m = /^([a-z]{2})(.*)$/s.exec(raw);
  if (!m) return { prefix: 'eq', rest: raw };
  if (!PREFIXES.has(m[1] as SearchPrefix)) throw invalid(param, `unknown prefix '${m[1]}' in '${raw}'`);
  return { prefix: m[1] as SearchPrefix, rest: m[2]! };
}

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The inclusive ms range a FHIR date/dateTime/instant covers at its precision
 * (UTC when no zone is given), or `undefined` when malformed.
 *
 * @example
 * ```ts
 * dateRange('2020-02'); // { low: Date.UTC(2020, 1, 1), high: Date.UTC(2020, 2, 1) - 1 }
 * ```
 */
export function dateRange(value: string): { low: number; high: number } | undefined {
  const m = DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (month > 11 || day < 1 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) return undefined;
  if (h && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59))) return undefined;
  const offset =
    zone && zone !== 'Z'
      ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
      : 0;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const low =
    Date.UTC(year, month, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0, ms) - offset;
  if (h) return { low, high: low + (s === undefined ? 60_000 : frac === undefined ? 1000 : 1) - 1 };
  const end = !mo
    ? Date.UTC(year + 1, 0, 1)
    : !d
      ? Date.UTC(year, month + 1, 1)
      : Date.UTC(year, month, day + 1);
  return { low, high: end - 1 };
}

/** `[prefix]date`. */
export function parseDateValue(raw: string, param: string): DateQuery {
  const { prefix, rest } = splitPrefix(raw, param);
  const range = dateRange(rest);
  if (!range) throw invalid(param, `'${raw}' is not a valid date`);
  return { kind: 'date', prefix, low: range.low, high: range.high, raw: rest };
}

const NUMBER = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal with its implied precision: `100` is `[99.5, 100.5)`, `1e2` is `[50, 150)`.
 *
 * @example
 * ```ts
 * parseNumber('2.50', 'value'); // { value: 2.5, low: 2.495, high: 2.505 }
 * ```
 */
export function parseNumber(raw: string, param: string): { value: number; low: number; high: number } {
  const m = NUMBER.exec(raw);
  if (!m) throw invalid(param, `'${raw}' is not a number`);
  const value = Number(raw);
  const decimals = (m[2]?.length ?? 0) - (m[3] ? Number(m[3]) : 0);
  const half = 0.5 * 10 ** -decimals;
  return { value, low: value - half, high: value + half };
}

/** `[prefix]number`. */
export function parseNumberValue(raw: string, param: string): NumberQuery {
  const { prefix, rest } = splitPrefix(raw, param);
  return { kind: 'number', prefix, ...parseNumber(rest, param) };
}

/** `[prefix]number[|system|code]` (the number part and system/code split on unescaped `|`). */
export function parseQuantityValue(raw: string, param: string): QuantityQuery {
  const parts = splitEscaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) throw invalid(param, `'${raw}' is not number|system|code`);
  const { prefix, rest } = splitPrefix(parts[0]!, param);
  const q: QuantityQuery = { kind: 'quantity', prefix, ...parseNumber(rest, param) };
  if (parts.length === 3) {
    const system = unescapeValue(parts[1]!);
    const code = unescapeValue(parts[2]!);
    if (system) q.system = system;
    if (code) q.code = code;
  }
  return q;
}

/** `[system|]code`, `system|`, `|code`. */
export function parseTokenValue(raw: string, param: string): TokenQuery {
  const parts = splitEscaped(raw, '|');
  if (parts.length > 2) throw invalid(param, `'${raw}' has more than one unescaped '|'`);
  if (parts.length === 1) {
    const code = unescapeValue(parts[0]!);
    if (!code) throw invalid(param, 'empty value');
    return { kind: 'token', code };
  }
  const system = unescapeValue(parts[0]!);
  const code = unescapeValue(parts[1]!);
  if (!system && !code) throw invalid(param, `'${raw}' has neither system nor code`);
  return { kind: 'token', system, ...(code ? { code } : {}) };
}

/** A string value. */
export function parseStringValue(raw: string, param: string): StringQuery {
  const value = unescapeValue(raw);
  if (!value) throw invalid(param, 'empty value');
  return { kind: 'string', value, normalized: normalizeSearchString(value) };
}

const REF = /^(?:(.*)\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/**
 * A reference value: `Type/id[/_history/v]`, a bare id (target types from the
 * `:Type` modifier or the parameter), or an absolute URL (also matched as
 * `Type/id` when it ends so).
 *
 * @example
 * ```ts
 * parseReferenceValue('Patient/1', 'subject', ['Patient', 'Group']); // { kind: 'reference', types: ['Patient'], id: '1' }
 * ```
 */
export function parseReferenceValue(
  raw: string,
  param: string,
  targets: string[],
  isType: (t: string) => boolean,
): ReferenceQuery {
  const value = unescapeValue(raw);
  if (!value) throw invalid(param, 'empty value');
  const m = REF.exec(value);
  if (m && isType(m[2]!)) {
    const q: ReferenceQuery = { kind: 'reference', types: [m[2]!], id: m[3]! };
    if (m[4]) q.version = m[4];
    if (m[1] !== undefined) q.url = value;
    return q;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return { kind: 'reference', types: [], url: value };
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(value)) throw invalid(param, `'${value}' is not a reference`);
  return { kind: 'reference', types: [...targets], id: value };
}
