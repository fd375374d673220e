import type { OperationOutcomeIssue } from 'fhir/r4';
import type { RequestContext } from '../context/request-context.js';
import type { SearchParameterDefinition } from '../definitions/index.js';
import type { ProjectorRuntime } from '../projection/runtime.js';
import type { Projector } from '../projection/types.js';
import type { StoredResource } from '../store/types.js';
import type { TerminologyLookup } from '../terminology/types.js';
import type { SearchParameterRegistry } from './registry.js';

/** Query parameters in order, as they came (name may carry `:modifier`; a comma in a value is OR). */
export type SearchParams = Array<[name: string, value: string]>;

/** A search as the FHIR service hands it to the engine. */
export interface SearchRequest {
  /** Omit for system search (`[base]?_type=...`, or all types). */
  resourceType?: string;
  params: SearchParams;
  /** Compartment search, e.g. `Patient/123/Observation`. */
  compartment?: { resourceType: string; id: string };
  /** `Prefer: handling` (default lenient). */
  handling?: 'strict' | 'lenient';
  /**
   * ValueSets and CodeSystems for `:in` / `:not-in` / `:below` / `:above`,
   * resolved before the (synchronous) parse by `resolveSearchTerminology`;
   * without it only the official R4 terminology is known.
   */
  terminology?: TerminologyLookup;
}

/**
 * One page of results. Result parameters that shape representations
 * (`_summary` other than `count`, `_elements`) are applied by the caller; the
 * engine passes them through in `selfParams`.
 */
export interface SearchResult {
  /** The matches of this page, in order (`search.mode = match`). */
  matches: StoredResource[];
  /** Resources added by `_include` / `_revinclude` (`search.mode = include`), no duplicates. */
  included: StoredResource[];
  /** When asked for (`_total`) or known cheaply. */
  total?: number;
  /** The parameters as understood, canonical, for the self link (unknown ones dropped in lenient mode). */
  selfParams: SearchParams;
  /** Parameters of the next / previous page (carrying the engine's cursor), when there is one. */
  next?: SearchParams;
  previous?: SearchParams;
  /** Warnings for an OperationOutcome entry (`search.mode = outcome`). */
  warnings: OperationOutcomeIssue[];
}

/** A search parameter as the CapabilityStatement lists it. */
export interface SupportedSearchParam {
  name: string;
  type: 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';
  definition?: string;
  documentation?: string;
}

/**
 * The search seam. The FHIR service makes searches read-your-writes by waiting
 * for `projectors` to reach the caller's seq before calling {@link SearchEngine.search}.
 */
export interface SearchEngine {
  search(request: SearchRequest, ctx: RequestContext): Promise<SearchResult>;
  /** Parameters supported for a type (or for every type when `resourceType` is `'Resource'`). */
  parametersFor(resourceType: string): SupportedSearchParam[];
  /** The projectors that feed the engine's indexes, to run in the projector runtime. */
  readonly projectors: Projector[];
  /**
   * Release what the engine holds (worker threads, database handles), once
   * the runtime running its projectors stopped. `createFhirServer` calls it
   * on close when it created that runtime itself.
   */
  close?(): Promise<void>;
  /** The parameters it indexes (official plus runtime ones), when it supports runtime SearchParameters. */
  readonly registry?: SearchParameterRegistry;
  /** Register a SearchParameter at runtime and backfill it in the background; resolves when it is indexed. */
  addSearchParameter?(definition: SearchParameterDefinition, runtime?: ProjectorRuntime): Promise<void>;
}
