/**
 * The server's terminology step before a search: `:in` / `:not-in` /
 * `:below` / `:above` may name ValueSets and CodeSystems stored on this
 * server, read here (asynchronously) so that the engine's parse can expand
 * them — as the caller, like the terminology operations read them.
 */
import type { RequestContext } from '../context/request-context.js';
import type { SearchRequest } from '../search/types.js';
import type { StoredResource } from '../store/types.js';
import {
  engineTerminologySource,
  resolveSearchTerminology,
  type TerminologySource,
} from '../terminology/resolve.js';
import type { ServerDeps } from './server-context.js';

/**
 * `request` with the terminology its parameters refer to (unchanged when none does).
 *
 * @example
 * ```ts
 * const ready = await withSearchTerminology(deps, ctx, { resourceType: 'Observation', params: [['code:in', 'http://x/vs']] });
 * await deps.search!.search(ready, ctx);
 * ```
 */
export async function withSearchTerminology(
  deps: ServerDeps,
  ctx: RequestContext,
  request: SearchRequest,
): Promise<SearchRequest> {
  if (!deps.search || request.terminology) return request;
  const terminology = await resolveSearchTerminology(request.params, callerTerminologySource(deps, ctx));
  return terminology ? { ...request, terminology } : request;
}

/**
 * The stored ValueSets and CodeSystems as the caller may read them: the
 * access policy's `restrictSearch` and `canRead` apply, so one the caller may
 * not read does not exist for it. Used by searches and the terminology operations.
 *
 * @example
 * ```ts
 * const source = callerTerminologySource(deps, ctx);
 * await source.valueSetById('vs1'); // undefined when the caller may not read it
 * ```
 */
export function callerTerminologySource(deps: ServerDeps, ctx: RequestContext): TerminologySource {
  const { restrictSearch, canRead } = deps.access;
  return engineTerminologySource(deps.search, deps.store, ctx, {
    ...(restrictSearch ? { restrictSearch: (r: SearchRequest) => restrictSearch(ctx, r) } : {}),
    ...(canRead ? { canRead: (r: StoredResource) => canRead(ctx, r) } : {}),
  });
}
