import type { OperationOutcome, Resource } from 'fhir/r4';
import type { RequestContext } from '../context/request-context.js';
import type { ProjectorRuntime } from '../projection/runtime.js';
import type { SearchEngine, SearchParams, SearchRequest } from '../search/types.js';
import type { ResourceStore } from '../store/create-store.js';
import type { StoredResource, WriteOp } from '../store/types.js';
import type { TerminologySource } from '../terminology/resolve.js';
import type { FhirMethod } from './interaction.js';

/** The preconditions and preferences of a request (the FHIR-relevant HTTP headers, or a Bundle entry's `request`). */
export interface FhirRequestHeaders {
  /** `If-Match`, as sent (`W/"3"`) or bare (`3`). */
  ifMatch?: string;
  /** `If-None-Match` on read (`W/"3"`), or `*`. */
  ifNoneMatch?: string;
  /** `If-Modified-Since`, an HTTP date or a FHIR instant. */
  ifModifiedSince?: string;
  /** `If-None-Exist`: the query of a conditional create, without `?`. */
  ifNoneExist?: string;
  /** `Prefer: return=…`. */
  preferReturn?: 'minimal' | 'representation' | 'OperationOutcome';
  /** `Prefer: handling=…` for search parameters. */
  preferHandling?: 'strict' | 'lenient';
  /** `Prefer: respond-async`. */
  preferAsync?: boolean;
  /** Content type of the body (for PATCH: JSON Patch or FHIRPath Patch). */
  contentType?: string;
}

/** A FHIR request, free of any HTTP framework. */
export interface FhirRequest {
  method: FhirMethod;
  /** Path relative to the FHIR base, no leading slash (`Patient/1/_history/2`). */
  path: string;
  params: SearchParams;
  headers?: FhirRequestHeaders;
  /** The parsed JSON body. */
  body?: unknown;
  /** Absolute FHIR base URL, for `fullUrl` and links (`http://host/fhir`). */
  baseUrl: string;
}

/** What the FHIR service answers, before it becomes an HTTP response or a Bundle entry. */
export interface FhirResponse {
  status: number;
  /** The resource to return (a Bundle, an OperationOutcome, a resource with elements removed…). */
  resource?: Resource;
  /** The stored version this response is about: ETag, Last-Modified, and its exact bytes when `resource` is absent. */
  stored?: StoredResource;
  /** Relative location of a created or updated version: `Patient/1/_history/2`. */
  location?: string;
  /** Outcome of the interaction, for `Prefer: return=OperationOutcome` and transaction entries. */
  outcome?: OperationOutcome;
  /** Commit seq of a write: the read-your-writes token. */
  seq?: number;
  /** Extra response headers (e.g. `Content-Location`, `Retry-After` for async operations). */
  headers?: Record<string, string>;
  /** A body that is not a FHIR resource (e.g. an ndjson file, a Bulk Data manifest), sent as it is. */
  raw?: { contentType: string; body: Uint8Array | string };
}

/** What an operation handler may use besides its request: the server's parts and its access checks. */
export interface OperationServices {
  store: ResourceStore;
  runtime: ProjectorRuntime;
  search: SearchEngine | undefined;
  /** The access policy's read check (true when there is none). */
  canRead(ctx: RequestContext, resource: StoredResource): Promise<boolean>;
  /** Wait until the search projections have applied the caller's writes (read-your-writes). */
  awaitProjections(ctx: RequestContext): Promise<void>;
  /** Handle another request through the whole server (e.g. a transaction Bundle for an import). */
  handle(ctx: RequestContext, request: FhirRequest): Promise<FhirResponse>;
  /**
   * The stored ValueSets and CodeSystems as the caller may read them (the
   * access policy applied as for searches), once the search projections have
   * the caller's writes. Without a search engine only reads by id find anything.
   */
  terminology(ctx: RequestContext): Promise<TerminologySource>;
}

/**
 * The seam for authorization (SMART scopes, access policies) and audit. Every
 * read path (read, vread, search incl. includes, history, operations) passes
 * resources through `canRead`; every write passes through `canWrite`.
 *
 * @example
 * ```ts
 * const onlyOwnPatient: AccessPolicy = {
 *   canRead: (ctx, r) => r.resourceType !== 'Patient' || `Patient/${r.id}` === ctx.identity?.subject,
 * };
 * ```
 */
export interface AccessPolicy {
  /** false hides the resource (404 on read, left out of searches and history). */
  canRead?(ctx: RequestContext, resource: StoredResource): boolean | Promise<boolean>;
  /** Throw `FhirError('forbidden', …)` to refuse a write. */
  canWrite?(ctx: RequestContext, op: WriteOp): void | Promise<void>;
  /** Narrow a search before it runs (e.g. to a patient compartment). */
  restrictSearch?(ctx: RequestContext, request: SearchRequest): SearchRequest | Promise<SearchRequest>;
}

/** A custom operation (`$name`), registered with the server. */
export interface OperationHandler {
  /** Without the `$`. */
  name: string;
  /** Canonical URL of its OperationDefinition, for the CapabilityStatement (default `[base]/OperationDefinition/<name>`). */
  definition?: string;
  /** Levels it may be invoked at; `types` restricts type/instance levels. */
  scope: { system?: boolean; type?: boolean; instance?: boolean; types?: string[] };
  handle(
    ctx: RequestContext,
    request: FhirRequest & { type?: string; id?: string; operationParams: SearchParams },
    services: OperationServices,
  ): Promise<FhirResponse>;
}
