/**
 * The server's terminology step before a search: `:in` / `:not-in` /
 * `:below` / `:above` may name ValueSets and CodeSystems stored on this
 * server, read here (asynchronously) so that the engine's parse can expand them.
 */
import type { RequestContext } from '../context/request-context.js';
import type { SearchRequest } from '../search/types.js';
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
  const terminology = await resolveSearchTerminology(
    request.params,
    engineTerminologySource(deps.search, deps.store, ctx),
  );
  return terminology ? { ...request, terminology } : request;
}
