/**
 * The typed form of a FHIR R4 search request, as every search backend
 * consumes it: parsed, validated and resolved against the search parameters
 * of the target types. Produced by {@link parseSearchRequest}.
 */
import type { OperationOutcomeIssue } from 'fhir/r4';
import type { SearchParameterDefinition } from '../../definitions/index.js';
import type { SearchParams } from '../types.js';

/** Comparators of number, date and quantity parameters. */
export type SearchPrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** Where search parameters come from: the official tables, or a registry with runtime additions. */
export interface SearchParameterLookup {
  get(resourceType: string, code: string): SearchParameterDefinition | undefined;
  /** A parameter by canonical URL (the components of composites); default: the official ones. */
  byUrl?(url: string): SearchParameterDefinition | undefined;
}

/** Token `[system|]code`: `system` undefined = any system, `''` = no system; `code` undefined = any code (`system|`). */
export interface TokenQuery {
  kind: 'token';
  system?: string;
  code?: string;
}

/** `:text` on a token (normalized like a string). */
export interface TokenTextQuery {
  kind: 'token-text';
  text: string;
}

/** `:of-type` on an identifier: `typeSystem|typeCode|value`. */
export interface TokenOfTypeQuery {
  kind: 'token-of-type';
  typeSystem: string;
  typeCode: string;
  value: string;
}

/** string: `value` as given, `normalized` folded like the index. */
export interface StringQuery {
  kind: 'string';
  value: string;
  normalized: string;
}

/** date: the precision range of the search value, inclusive ms. */
export interface DateQuery {
  kind: 'date';
  prefix: SearchPrefix;
  low: number;
  high: number;
  raw: string;
}

/** number: the value and its precision range `[low, high)`. */
export interface NumberQuery {
  kind: 'number';
  prefix: SearchPrefix;
  value: number;
  low: number;
  high: number;
}

/** quantity: `[prefix]number[|system[|code]]` (`system` '' = any system but the code must match the code or unit). */
export interface QuantityQuery {
  kind: 'quantity';
  prefix: SearchPrefix;
  value: number;
  low: number;
  high: number;
  system?: string;
  code?: string;
}

/** reference: `Type/id`, a bare `id` (with `types` = allowed target types), or an absolute `url`. */
export interface ReferenceQuery {
  kind: 'reference';
  /** Candidate target types (one when the value or the `:Type` modifier says so). */
  types: string[];
  id?: string;
  version?: string;
  url?: string;
}

/** `:identifier` on a reference: `[system|]value`. */
export interface ReferenceIdentifierQuery {
  kind: 'reference-identifier';
  system?: string;
  value?: string;
}

/** uri (also `:below` / `:above`, via the clause modifier). */
export interface UriQuery {
  kind: 'uri';
  value: string;
}

/** A value of one component of a composite: parsed by the type of the component's SearchParameter. */
export type CompositeComponentQuery =
  | TokenQuery
  | StringQuery
  | DateQuery
  | NumberQuery
  | QuantityQuery
  | ReferenceQuery
  | UriQuery;

/**
 * composite: `comp1$comp2[$…]`, one value per component (in the order of
 * SearchParameter.component); matches when every component matches within
 * the same repetition (one extracted composite value).
 */
export interface CompositeQuery {
  kind: 'composite';
  components: CompositeComponentQuery[];
}

/** `:missing=true|false`. */
export interface MissingQuery {
  kind: 'missing';
  missing: boolean;
}

/** `_text` / `_content` full-text query. */
export interface TextQuery {
  kind: 'text';
  text: string;
}

/** One OR-alternative of a clause. */
export type ValueQuery =
  | TokenQuery
  | TokenTextQuery
  | TokenOfTypeQuery
  | StringQuery
  | DateQuery
  | NumberQuery
  | QuantityQuery
  | ReferenceQuery
  | ReferenceIdentifierQuery
  | UriQuery
  | CompositeQuery
  | MissingQuery
  | TextQuery;

/** The resolved parameter of a clause. */
export interface ParamRef {
  code: string;
  type: SearchParameterDefinition['type'];
  url: string;
  target?: string[];
}

/** A clause on one parameter of the searched type; `values` are ORed. */
export interface ParamClause {
  kind: 'param';
  param: ParamRef;
  /** `exact`, `contains`, `not`, `text`, `of-type`, `missing`, `below`, `above`, `identifier`, or a type name. */
  modifier?: string;
  values: ValueQuery[];
}

/** `ref:Type.inner` / `ref.inner`: resources whose `param` refers to a resource matching `inner` (one entry per target type). */
export interface ChainClause {
  kind: 'chain';
  param: ParamRef;
  targets: Array<{ resourceType: string; inner: SearchClause }>;
}

/** `_has:Source:refParam:inner`: resources referred to by `refParam` of a `Source` resource matching `inner`. */
export interface HasClause {
  kind: 'has';
  sourceType: string;
  param: ParamRef;
  inner: SearchClause;
}

/** `_list=id[,id]`: resources that are entries of one of these List resources. */
export interface ListClause {
  kind: 'list';
  lists: string[];
}

/** Compartment search (`Patient/1/Observation`): resources whose compartment `params` refer to the compartment owner (or, for the owner's own type, the owner itself). */
export interface CompartmentClause {
  kind: 'compartment';
  compartmentType: string;
  id: string;
  params: ParamRef[];
}

/** One AND-ed clause of a search. */
export type SearchClause = ParamClause | ChainClause | HasClause | ListClause | CompartmentClause;

/** One `_sort` key. */
export interface SortKey {
  /** `_id`, `_lastUpdated` or a parameter code. */
  code: string;
  type: SearchParameterDefinition['type'];
  descending: boolean;
}

/** One `_include` / `_revinclude`: `sourceType:param[:targetType]`, or every reference (`*`). */
export interface IncludeSpec {
  /** `*` for all. */
  sourceType: string;
  /** `*` for every reference parameter. */
  param: string;
  targetType?: string;
  iterate: boolean;
}

/** The clauses for one searched resource type. */
export interface TypeQuery {
  resourceType: string;
  clauses: SearchClause[];
}

/** A parsed, validated search. */
export interface ParsedSearch {
  /** One entry per searched type; for a system search without `_type`, one entry with `resourceType: '*'` (params of `Resource`). */
  types: TypeQuery[];
  count: number;
  sort: SortKey[];
  total: 'none' | 'estimate' | 'accurate' | undefined;
  summary?: 'true' | 'text' | 'data' | 'count' | 'false';
  elements?: string;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** The opaque paging cursor, when this is a follow-up page. */
  cursor?: string;
  /** Understood parameters, canonical order, without the cursor. */
  selfParams: SearchParams;
  warnings: OperationOutcomeIssue[];
}
