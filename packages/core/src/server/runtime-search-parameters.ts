import type { Subscription } from 'rxjs';
import { FhirError } from '../errors/fhir-error.js';
import type { ProjectorRuntime } from '../projection/runtime.js';
import { SearchParameterRegistry } from '../search/registry.js';
import type { SearchEngine } from '../search/types.js';
import type { ResourceStore } from '../store/create-store.js';

/**
 * Check a SearchParameter resource the server is asked to store: when it is
 * `active` or `draft` it must compile into a usable definition (code, base,
 * type, expression), else the write is refused with 400.
 */
export function assertUsableSearchParameter(resource: unknown): void {
  const r = resource as { resourceType?: string; status?: string };
  if (r?.resourceType !== 'SearchParameter' || r.status === 'retired') return;
  try {
    SearchParameterRegistry.fromSearchParameterResource(resource);
  } catch (error) {
    throw FhirError.is(error)
      ? error
      : new FhirError('invalid', `Unusable SearchParameter: ${(error as Error).message}`);
  }
}

/**
 * Keep the search engine's registry in step with the SearchParameter
 * resources in the store: those stored before start are registered as they
 * are (the index already holds them), and every one written afterwards —
 * through any interaction, including transactions — is registered and
 * backfilled in the background while searches keep working (lenient searches
 * with it get a warning until it is ready; strict ones answer not-ready).
 *
 * @example
 * ```ts
 * const follower = await followSearchParameters(store, engine, runtime);
 * ```
 */
export async function followSearchParameters(
  store: ResourceStore,
  engine: SearchEngine,
  runtime: ProjectorRuntime,
): Promise<SearchParameterFollower> {
  const { registry, addSearchParameter } = engine;
  if (!registry || !addSearchParameter) return { stop: () => {}, caughtUp: async () => {} };
  const head = await store.headSeq();
  let position = head;
  const waiters = new Set<{ seq: number; resolve: () => void }>();
  const seen = new Set<string>();
  for await (const v of store.history({ resourceType: 'SearchParameter', before: head + 1 })) {
    if (seen.has(v.id)) continue;
    seen.add(v.id);
    const def = usable(v.resource);
    if (def) registry.add(def);
  }
  const subscription: Subscription = store.changes$(head + 1).subscribe((e) => {
    if (e.resourceType === 'SearchParameter' && e.action !== 'delete') {
      const def = usable(e.resource);
      if (def)
        addSearchParameter
          .call(engine, def, runtime)
          .catch((error: unknown) => console.error('[fhirstream] backfill failed', error));
    }
    position = e.seq;
    for (const w of waiters) {
      if (w.seq <= position) {
        waiters.delete(w);
        w.resolve();
      }
    }
  });
  return {
    stop: () => subscription.unsubscribe(),
    async caughtUp() {
      const seq = await store.seqCovering(['SearchParameter']);
      if (seq <= position) return;
      await new Promise<void>((resolve) => waiters.add({ seq, resolve }));
    },
  };
}

/** Follows SearchParameter writes into the search engine's registry. */
export interface SearchParameterFollower {
  stop(): void;
  /** Resolves once every SearchParameter written so far is registered (read-your-writes for searches). */
  caughtUp(): Promise<void>;
}

function usable(resource: unknown) {
  const r = resource as { status?: string } | undefined;
  if (!r || r.status === 'retired') return undefined;
  try {
    return SearchParameterRegistry.fromSearchParameterResource(resource);
  } catch {
    return undefined;
  }
}
