/**
 * Normalization of one FHIR element value into index values, by search
 * parameter type × element type, as `../index-values.ts` defines them. Both
 * the compiled fast path and the FHIRPath engine feed their results through
 * here, so the two agree as long as they select the same elements.
 */
import type {
  DateValue,
  IndexValue,
  NumberValue,
  QuantityValue,
  ReferenceValue,
  SearchParamType,
  StringValue,
  TokenValue,
  UriValue,
} from '../index-values.js';
import { dateRange } from './dates.js';
import { precisionRange } from './numbers.js';
import { parseReference } from './references.js';
import { normalizeString } from './strings.js';
import { canonicalUcum, UCUM_SYSTEM } from './ucum.js';

// biome-ignore lint/suspicious/noExplicitAny: FHIR JSON is walked untyped on the hot path.
type Json = any;

const NEG = Number.NEGATIVE_INFINITY;
const POS = Number.POSITIVE_INFINITY;

/** FHIRPath type names (`FHIR.Quantity`, `System.String`) → FHIR type names (`Quantity`, `string`). */
export function fhirTypeName(type: string): string {
  if (type.startsWith('FHIR.')) return type.slice(5);
  if (type.startsWith('System.')) {
    const name = type.slice(7);
    return name === 'DateTime' ? 'dateTime' : name.charAt(0).toLowerCase() + name.slice(1);
  }
  return type;
}

function token(system: unknown, code: unknown, text: unknown): TokenValue {
  const t: TokenValue = { kind: 'token' };
  if (typeof system === 'string') t.system = system;
  if (typeof code === 'string') t.code = code;
  if (typeof text === 'string') t.text = text;
  return t;
}

function pushCoding(coding: Json, out: IndexValue[]): void {
  if (
    coding !== null &&
    typeof coding === 'object' &&
    (coding.code !== undefined || coding.system !== undefined || coding.display !== undefined)
  ) {
    out.push(token(coding.system, coding.code, coding.display));
  }
}

function pushToken(type: string, v: Json, out: IndexValue[]): void {
  switch (typeof v) {
    case 'string':
      out.push({ kind: 'token', code: v });
      return;
    case 'boolean':
    case 'number':
      out.push({ kind: 'token', code: String(v) });
      return;
    case 'object':
      break;
    default:
      return;
  }
  if (v === null) return;
  switch (type) {
    case 'Coding':
      pushCoding(v, out);
      return;
    case 'CodeableConcept': {
      const codings = v.coding;
      if (Array.isArray(codings)) for (let i = 0; i < codings.length; i++) pushCoding(codings[i], out);
      if (typeof v.text === 'string') out.push({ kind: 'token', text: v.text });
      return;
    }
    case 'Identifier': {
      if (v.value === undefined && v.system === undefined) return;
      const type = v.type;
      const typeCodings = type?.coding;
      if (Array.isArray(typeCodings) && typeCodings.length > 0) {
        for (let i = 0; i < typeCodings.length; i++) {
          const t = token(v.system, v.value, type.text);
          const c = typeCodings[i];
          if (typeof c?.system === 'string') t.typeSystem = c.system;
          if (typeof c?.code === 'string') t.typeCode = c.code;
          out.push(t);
        }
      } else {
        out.push(token(v.system, v.value, type?.text));
      }
      return;
    }
    case 'ContactPoint':
      if (typeof v.value === 'string') out.push({ kind: 'token', code: v.value });
      return;
    default:
      return;
  }
}

function str(text: unknown, out: IndexValue[]): void {
  if (typeof text === 'string' && text.length > 0) {
    out.push({ kind: 'string', normalized: normalizeString(text), exact: text } satisfies StringValue);
  }
}

function strs(list: unknown, out: IndexValue[]): void {
  if (Array.isArray(list)) for (let i = 0; i < list.length; i++) str(list[i], out);
  else str(list, out);
}

function pushString(type: string, v: Json, out: IndexValue[]): void {
  if (typeof v === 'string') {
    str(v, out);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  if (type === 'HumanName') {
    str(v.family, out);
    strs(v.given, out);
    strs(v.prefix, out);
    strs(v.suffix, out);
    str(v.text, out);
  } else if (type === 'Address') {
    strs(v.line, out);
    str(v.city, out);
    str(v.district, out);
    str(v.state, out);
    str(v.postalCode, out);
    str(v.country, out);
    str(v.text, out);
  }
}

function date(text: unknown, out: IndexValue[]): void {
  if (typeof text !== 'string') return;
  const r = dateRange(text);
  if (r !== undefined) out.push({ kind: 'date', low: r[0], high: r[1] } satisfies DateValue);
}

function pushDate(type: string, v: Json, out: IndexValue[]): void {
  if (typeof v === 'string') {
    date(v, out);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  if (type === 'Period') {
    const start = typeof v.start === 'string' ? dateRange(v.start) : undefined;
    const end = typeof v.end === 'string' ? dateRange(v.end) : undefined;
    if (start !== undefined || end !== undefined) {
      out.push({ kind: 'date', low: start?.[0] ?? NEG, high: end?.[1] ?? POS });
    }
  } else if (type === 'Timing') {
    const events = v.event;
    if (Array.isArray(events)) for (let i = 0; i < events.length; i++) date(events[i], out);
  }
}

function quantity(q: Json, value: number, out: IndexValue[]): void {
  const [low, high] = precisionRange(value);
  const result: QuantityValue = { kind: 'quantity', value, low, high };
  if (typeof q.system === 'string') result.system = q.system;
  if (typeof q.code === 'string') result.code = q.code;
  if (typeof q.unit === 'string') result.unit = q.unit;
  if (result.system === UCUM_SYSTEM && result.code !== undefined) {
    const canonical = canonicalUcum(value, result.code);
    if (canonical !== undefined) result.canonical = canonical;
  }
  out.push(result);
}

function pushQuantity(type: string, v: Json, out: IndexValue[]): void {
  if (v === null || typeof v !== 'object') return;
  if (type === 'Range') {
    const lowValue = v.low?.value;
    const highValue = v.high?.value;
    const hasLow = typeof lowValue === 'number';
    const hasHigh = typeof highValue === 'number';
    if (!hasLow && !hasHigh) return;
    const unitOf = hasLow ? v.low : v.high;
    const result: QuantityValue = {
      kind: 'quantity',
      value: hasLow ? lowValue : highValue,
      low: hasLow ? lowValue : NEG,
      high: hasHigh ? highValue : POS,
    };
    if (typeof unitOf.system === 'string') result.system = unitOf.system;
    if (typeof unitOf.code === 'string') result.code = unitOf.code;
    if (typeof unitOf.unit === 'string') result.unit = unitOf.unit;
    out.push(result);
    return;
  }
  const value = v.value;
  if (typeof value !== 'number') return;
  if (type === 'Money') {
    const [low, high] = precisionRange(value);
    const result: QuantityValue = { kind: 'quantity', value, low, high };
    if (typeof v.currency === 'string') {
      result.system = 'urn:iso:std:iso:4217';
      result.code = v.currency;
    }
    out.push(result);
    return;
  }
  if (type === 'SampledData' || type === 'Ratio') return;
  quantity(v, value, out);
}

function pushNumber(type: string, v: Json, out: IndexValue[]): void {
  if (typeof v === 'number') {
    const [low, high] = precisionRange(v);
    out.push({ kind: 'number', value: v, low, high } satisfies NumberValue);
  } else if (type === 'Range' && v !== null && typeof v === 'object') {
    const lowValue = v.low?.value;
    const highValue = v.high?.value;
    if (typeof lowValue !== 'number' && typeof highValue !== 'number') return;
    out.push({
      kind: 'number',
      value: typeof lowValue === 'number' ? lowValue : highValue,
      low: typeof lowValue === 'number' ? lowValue : NEG,
      high: typeof highValue === 'number' ? highValue : POS,
    });
  }
}

function uriValue(text: string, splitVersion: boolean): UriValue {
  const bar = splitVersion ? text.indexOf('|') : -1;
  return bar < 0
    ? { kind: 'uri', value: text }
    : { kind: 'uri', value: text.slice(0, bar), version: text.slice(bar + 1) };
}

function pushReference(type: string, v: Json, out: IndexValue[]): void {
  if (typeof v === 'string') {
    const bar = type === 'canonical' ? v.indexOf('|') : -1;
    out.push(
      bar < 0
        ? { kind: 'reference', url: v }
        : { kind: 'reference', url: v.slice(0, bar), version: v.slice(bar + 1) },
    );
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const literal = v.reference;
  const identifier = v.identifier;
  let result: ReferenceValue | undefined;
  if (typeof literal === 'string' && literal.length > 0) result = parseReference(literal);
  if (
    identifier !== null &&
    typeof identifier === 'object' &&
    (identifier.system !== undefined || identifier.value !== undefined)
  ) {
    result ??= { kind: 'reference' };
    const id: { system?: string; value?: string } = {};
    if (typeof identifier.system === 'string') id.system = identifier.system;
    if (typeof identifier.value === 'string') id.value = identifier.value;
    result.identifier = id;
  }
  if (result !== undefined) out.push(result);
}

/**
 * Append the index values of one element value `v`, of FHIR type
 * `elementType` (`CodeableConcept`, `date`, `HumanName`, ...; FHIRPath names
 * like `System.String` are accepted), for a parameter of type `paramType`.
 * Values that the parameter type cannot index are skipped. `composite` is
 * handled by the extractor, not here.
 *
 * @example
 * ```ts
 * const out: IndexValue[] = [];
 * normalizeInto('string', 'HumanName', { family: 'Zoë', given: ['Ann'] }, out);
 * // out: [{ kind: 'string', normalized: 'zoe', exact: 'Zoë' }, { kind: 'string', normalized: 'ann', exact: 'Ann' }]
 * ```
 */
export function normalizeInto(
  paramType: SearchParamType,
  elementType: string,
  v: unknown,
  out: IndexValue[],
): void {
  if (v === undefined || v === null) return;
  switch (paramType) {
    case 'token':
      pushToken(elementType, v, out);
      return;
    case 'string':
      pushString(elementType, v, out);
      return;
    case 'date':
      pushDate(elementType, v, out);
      return;
    case 'reference':
      pushReference(elementType, v, out);
      return;
    case 'quantity':
      pushQuantity(elementType, v, out);
      return;
    case 'number':
      pushNumber(elementType, v, out);
      return;
    case 'uri':
      if (typeof v === 'string') out.push(uriValue(v, elementType === 'canonical'));
      return;
    default:
      return;
  }
}
