import type { Bundle, BundleEntry, OperationOutcome } from 'fhir/r4';
import type { RequestContext } from '../context/request-context.js';
import { FhirError } from '../errors/fhir-error.js';
import type { SearchParams, SearchRequest } from '../search/types.js';
import type { StoredResource } from '../store/types.js';
import { withParams } from './read-ops.js';
import { applyRepresentation, isSubsetting, representationOf } from './representation.js';
import { withSearchTerminology } from './search-terminology.js';
import { awaitProjections, filterVisible, type ServerDeps } from './server-context.js';
import type { FhirRequest, FhirResponse } from './types.js';

const TRANSPORT_PARAMS = new Set(['_format', '_pretty']);

/**
 * search (type, system, compartment; GET or POST `_search`): a `searchset`
 * Bundle with self/next/previous links, `total` when known, matches and
 * includes marked by `search.mode`, and warnings as an OperationOutcome entry.
 * Read-your-writes: waits for the search projections first.
 */
export async function searchBundle(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  target: { type?: string; compartment?: { type: string; id: string } },
): Promise<FhirResponse> {
  if (!deps.search) throw new FhirError('not-supported', 'This server has no search engine');
  const params = request.params.filter(([n]) => !TRANSPORT_PARAMS.has(n));
  let search: SearchRequest = {
    ...(target.type ? { resourceType: target.type } : {}),
    params,
    ...(target.compartment
      ? { compartment: { resourceType: target.compartment.type, id: target.compartment.id } }
      : {}),
    handling: request.headers?.preferHandling ?? 'lenient',
  };
  if (deps.access.restrictSearch) search = await deps.access.restrictSearch(ctx, search);
  await awaitProjections(deps, ctx);
  search = await withSearchTerminology(deps, ctx, search);
  const result = await deps.search.search(search, ctx);
  const rep = representationOf(result.selfParams);
  const base = searchBase(request.baseUrl, target);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(result.total !== undefined ? { total: result.total } : {}),
    link: [{ relation: 'self', url: withParams(base, result.selfParams) }],
    entry: [],
  };
  if (result.next) bundle.link!.push({ relation: 'next', url: withParams(base, result.next) });
  if (result.previous) bundle.link!.push({ relation: 'previous', url: withParams(base, result.previous) });
  const entry = (r: StoredResource, mode: 'match' | 'include'): BundleEntry => ({
    fullUrl: `${request.baseUrl}/${r.resourceType}/${r.id}`,
    resource: isSubsetting(rep) ? applyRepresentation(r.resource!, rep) : r.resource!,
    search: { mode },
  });
  if (rep.summary !== 'count') {
    for (const r of await filterVisible(deps, ctx, result.matches)) bundle.entry!.push(entry(r, 'match'));
    for (const r of await filterVisible(deps, ctx, result.included)) bundle.entry!.push(entry(r, 'include'));
  }
  if (result.warnings.length > 0) {
    const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: result.warnings };
    bundle.entry!.push({ resource: outcome, search: { mode: 'outcome' } });
  }
  return { status: 200, resource: bundle };
}

function searchBase(
  baseUrl: string,
  target: { type?: string; compartment?: { type: string; id: string } },
): string {
  if (target.compartment)
    return `${baseUrl}/${target.compartment.type}/${target.compartment.id}/${target.type ?? '*'}`;
  return target.type ? `${baseUrl}/${target.type}` : baseUrl;
}

/** The parameters of a POST `_search`: the query string and the form body, merged. */
export function mergeSearchForm(query: SearchParams, form: string): SearchParams {
  return [...query, ...new URLSearchParams(form)];
}
