/**
 * The server's terminology step before a search: `:in` / `:not-in` /
 * `:below` / `:above` may name ValueSets and CodeSystems stored on this
 * server, read here (asynchronously) so that the engine's parse can expand them.
 */
import type { RequestContext } from '../context/request-context.js';
import type { SearchRequest } from '../search/types.js';
import type { StoredResource } from '../store/types.js';
import { engineTerminologySource, resolveSearchTerminology } from '../terminology/resolve.js';
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
  const { restrictSearch, canRead } = deps.access;
  // The ValueSets and CodeSystems a search expands are read as the caller: only those it may read.
  const terminology = await resolveSearchTerminology(
    request.params,
    engineTerminologySource(deps.search, deps.store, ctx, {
      ...(restrictSearch ? { restrictSearch: (r: SearchRequest) => restrictSearch(ctx, r) } : {}),
      ...(canRead ? { canRead: (r: StoredResource) => canRead(ctx, r) } : {}),
    }),
  );
  return terminology ? { ...request, terminology } : request;
}
