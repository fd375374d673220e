import { createStore, type ResourceStore, type StoreOptions } from '@fhirstream/core';
import { openPostgresBackend, type PostgresBackendOptions } from './postgres-backend.js';

export { migrate, SCHEMA_VERSION } from './migrations.js';
export {
  openPostgresBackend,
  type PostgresBackend,
  type PostgresBackendOptions,
} from './postgres-backend.js';
export { PostgresCheckpoints, type Queryable } from './postgres-checkpoints.js';
export {
  type PostgresProjectionDefinition,
  type PostgresProjector,
  type PostgresWriter,
  postgresProjector,
} from './postgres-projector.js';
export { commitChannel, quoteIdent, type StoreTables, storeTables } from './sql-names.js';

/**
 * Open the store on PostgreSQL: a {@link openPostgresBackend} backend wrapped by core.
 *
 * @example
 * ```ts
 * import { openPostgresStore } from '@fhirstream/postgres';
 * const store = await openPostgresStore({ connectionString: 'postgres://localhost/fhir' });
 * await store.commit([{ op: 'create', resource: { resourceType: 'Patient', active: true } }]);
 * await store.close();
 * ```
 */
export async function openPostgresStore(
  options: PostgresBackendOptions & StoreOptions,
): Promise<ResourceStore> {
  const { now, ...backendOptions } = options;
  return createStore(await openPostgresBackend(backendOptions), now ? { now } : {});
}
export {
  createPostgresSearchEngine,
  type PostgresSearchEngine,
  type PostgresSearchEngineOptions,
} from './search/postgres-search-engine.js';
export { type PostgresSearchProjector, postgresSearchProjector } from './search/search-projector.js';
