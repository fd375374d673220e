import {
  createProjectorRuntime,
  createStore,
  type ProjectorRuntime,
  type ResourceStore,
} from '@fhirstream/core';
import { type LmdbBackend, type LmdbBackendOptions, openLmdbBackend } from './lmdb-backend.js';
import { createLmdbSearchEngine, type LmdbSearchEngine } from './search/lmdb-search-engine.js';

/** The parts of the embedded default, ready for `createFhirServer`. */
export interface Embedded {
  backend: LmdbBackend;
  store: ResourceStore;
  search: LmdbSearchEngine;
  runtime: ProjectorRuntime;
  /** Stop the projectors and close the store. */
  close(): Promise<void>;
}

/**
 * Open the embedded default in one call: the LMDB store, its projector
 * runtime, and the LMDB search engine whose index lives in the same
 * environment. Pass the parts to `createFhirServer`.
 *
 * @example
 * ```ts
 * const embedded = openEmbedded({ path: './.data' });
 * const server = await createFhirServer({ store: embedded.store, search: embedded.search, runtime: embedded.runtime });
 * ```
 */
export function openEmbedded(options: LmdbBackendOptions): Embedded {
  const backend = openLmdbBackend(options);
  const store = createStore(backend);
  const runtime = createProjectorRuntime(store);
  const search = createLmdbSearchEngine({ backend, store, runtime });
  return {
    backend,
    store,
    search,
    runtime,
    async close() {
      await runtime.stop();
      await search.close();
      await store.close();
    },
  };
}
