import { createStore, type ResourceStore, type StoreOptions } from '@fhirstream/core';
import { type LmdbBackendOptions, openLmdbBackend } from './lmdb-backend.js';

export {
  type LmdbBackend,
  type LmdbBackendOptions,
  type LmdbDatabases,
  openLmdbBackend,
} from './lmdb-backend.js';
export { LmdbCheckpoints } from './lmdb-checkpoints.js';

/**
 * Open the embedded default store: an LMDB backend wrapped by core.
 *
 * @example
 * ```ts
 * import { openLmdbStore } from '@fhirstream/lmdb';
 * const store = openLmdbStore({ path: './.data' });
 * await store.commit([{ op: 'create', resource: { resourceType: 'Patient', active: true } }]);
 * await store.close();
 * ```
 */
export function openLmdbStore(options: LmdbBackendOptions & StoreOptions): ResourceStore {
  const { now, ...backendOptions } = options;
  return createStore(openLmdbBackend(backendOptions), now ? { now } : {});
}
export { type Embedded, openEmbedded } from './embedded.js';
export {
  type LmdbProjectionDefinition,
  type LmdbProjector,
  type LmdbWriter,
  lmdbProjector,
} from './lmdb-projector.js';
export {
  createLmdbSearchEngine,
  type LmdbSearchEngine,
  type LmdbSearchEngineOptions,
} from './search/lmdb-search-engine.js';
export {
  SEARCH_INDEX_PROJECTOR,
  type SearchIndexProjector,
  type SearchIndexProjectorOptions,
  searchIndexProjector,
} from './search/search-projector.js';
