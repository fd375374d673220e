import type { RequestContext } from '../context/request-context.js';
import { FhirError } from '../errors/fhir-error.js';
import type { SearchParams } from '../search/types.js';
import type { StoredResource } from '../store/types.js';
import { withSearchTerminology } from './search-terminology.js';
import { awaitProjections, type ServerDeps } from './server-context.js';

/**
 * The resources a conditional interaction's criteria match: at most two are
 * fetched (one is a match, two is "multiple"). Waits for the search index to
 * be current first, so a conditional write sees every acknowledged write.
 *
 * @example
 * ```ts
 * const found = await findMatches(deps, ctx, 'Patient', [['identifier', 'http://x|1']]);
 * if (found.length > 1) throw new FhirError('multiple-matches', '...');
 * ```
 */
export async function findMatches(
  deps: ServerDeps,
  ctx: RequestContext,
  type: string,
  criteria: SearchParams,
): Promise<StoredResource[]> {
  if (!deps.search) throw new FhirError('not-supported', 'Conditional interactions need a search engine');
  const params = criteria.filter(
    ([n]) =>
      !['_count', '_sort', '_include', '_revinclude', '_summary', '_elements', '_total', '_format'].includes(
        n,
      ),
  );
  if (params.length === 0) throw new FhirError('invalid', 'Conditional criteria are empty');
  // A criterion on this type alone (no chain, _has or _list) is answered once this type's writes are indexed.
  const typeOnly = params.every(([n]) => !n.includes('.') && !n.startsWith('_has') && n !== '_list');
  await awaitProjections(deps, ctx, typeOnly ? [type] : undefined);
  const request = await withSearchTerminology(deps, ctx, {
    resourceType: type,
    params: [...params, ['_count', '2']],
    handling: 'strict',
  });
  const result = await deps.search.search(request, ctx);
  return result.matches;
}

/** Parse `a=1&b=2` (an `If-None-Exist` value or the query of a conditional URL) into parameters. */
export function parseQuery(query: string): SearchParams {
  const out: SearchParams = [];
  for (const [name, value] of new URLSearchParams(query.startsWith('?') ? query.slice(1) : query))
    out.push([name, value]);
  return out;
}

/**
 * Serializes conditional writes in this process, so that two concurrent
 * conditional creates with the same criteria cannot both create.
 */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();

  /** Run `fn` after every earlier holder has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
