/**
 * The search conformance suite: the behaviour every {@link SearchEngine} must
 * show, written against the interface only (resources go in through
 * `store.commit`, the engine's projectors run in the projector runtime,
 * searches go through `search.search`). Run once per backend.
 */
import { describe } from 'vitest';
import { describeComposites } from './search-composite.conformance.js';
import type { SearchConformanceOptions } from './search-conformance.fixture.js';
import { describeParameterTypes } from './search-params.conformance.js';
import { describeReferences } from './search-references.conformance.js';
import { describeResults, describeWrites } from './search-results.conformance.js';
import { describeTerminology } from './search-terminology.conformance.js';

export {
  type RuntimeSearchParameters,
  SEARCH_CONFORMANCE_DATA,
  type SearchBackendFixture,
  type SearchConformanceOptions,
} from './search-conformance.fixture.js';

/**
 * Register the search conformance suite for one backend, in vitest.
 *
 * @example
 * ```ts
 * runSearchConformance({
 *   name: 'lmdb',
 *   async setup() {
 *     const path = mkdtempSync(join(tmpdir(), 'fs-'));
 *     const backend = openLmdbBackend({ path });
 *     const store = createStore(backend);
 *     const runtime = createProjectorRuntime(store);
 *     const search = createLmdbSearchEngine({ backend, store, runtime });
 *     return { store, search, runtime, teardown: async () => rmSync(path, { recursive: true }) };
 *   },
 * });
 * ```
 */
export function runSearchConformance(options: SearchConformanceOptions): void {
  describe(`search [${options.name}]`, () => {
    describeParameterTypes(options);
    describeComposites(options);
    describeReferences(options);
    describeResults(options);
    describeWrites(options);
    describeTerminology(options);
  });
}
