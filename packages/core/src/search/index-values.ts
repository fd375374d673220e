/**
 * The contract between search-value extraction and search indexes: what a
 * resource yields for each of its search parameters, normalized so that an
 * index can store ordered keys and a query can compare with them.
 */

/** R4 SearchParameter types. */
export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'composite'
  | 'quantity'
  | 'uri'
  | 'special';

/**
 * token: Coding / CodeableConcept / Identifier / code / boolean / ContactPoint / string used as a token.
 * `text` carries CodeableConcept.text, Coding.display and Identifier.type.text, for `:text`.
 * `typeSystem`/`typeCode` carry Identifier.type.coding, for `:of-type`.
 */
export interface TokenValue {
  kind: 'token';
  system?: string;
  code?: string;
  text?: string;
  typeSystem?: string;
  typeCode?: string;
}

/** string: `normalized` is lowercased with accents/diacritics and punctuation folded; `exact` is the original. */
export interface StringValue {
  kind: 'string';
  normalized: string;
  exact: string;
}

/**
 * date/dateTime/instant/Period/Timing as an inclusive range in ms since the
 * epoch, precision-aware: `2020` is [2020-01-01T00:00:00.000Z, 2020-12-31T23:59:59.999Z].
 * An open Period end is `Number.POSITIVE_INFINITY`, an open start `Number.NEGATIVE_INFINITY`.
 * Dates without a time zone are taken as UTC.
 */
export interface DateValue {
  kind: 'date';
  low: number;
  high: number;
}

/** number: the value and the precision-implied range (`100` → [99.5, 100.5]). */
export interface NumberValue {
  kind: 'number';
  value: number;
  low: number;
  high: number;
}

/**
 * quantity: as written, plus the UCUM-canonical form when the unit is UCUM and
 * convertible (e.g. `mg` → `g`, value scaled).
 */
export interface QuantityValue {
  kind: 'quantity';
  value: number;
  low: number;
  high: number;
  system?: string;
  code?: string;
  unit?: string;
  canonical?: { value: number; code: string };
}

/**
 * reference: a literal reference resolved to type and id where possible
 * (`Patient/1`, `http://base/Patient/1/_history/2`), else `url`; and
 * `identifier` for logical references (`:identifier`).
 */
export interface ReferenceValue {
  kind: 'reference';
  type?: string;
  id?: string;
  version?: string;
  url?: string;
  identifier?: { system?: string; value?: string };
}

/** uri / url / canonical (a canonical's `|version` is kept in `version`). */
export interface UriValue {
  kind: 'uri';
  value: string;
  version?: string;
}

/** composite: one combination of component values (in the order of SearchParameter.component). */
export interface CompositeValue {
  kind: 'composite';
  components: Array<Exclude<IndexValue, CompositeValue>>;
}

/** One normalized value of one search parameter. */
export type IndexValue =
  | TokenValue
  | StringValue
  | DateValue
  | NumberValue
  | QuantityValue
  | ReferenceValue
  | UriValue
  | CompositeValue;

/** All values of one parameter for one resource (empty `values` = the element is missing, for `:missing`). */
export interface ExtractedParam {
  code: string;
  type: SearchParamType;
  values: IndexValue[];
}
