import {
  type ChangeTransport,
  createStore,
  type ProjectorRuntime,
  type ResourceStore,
  type SearchEngine,
} from '@fhirstream/core';
import { type Embedded, openEmbedded } from '@fhirstream/lmdb';
import { openNatsTransport } from '@fhirstream/nats';
import type { PostgresBackend } from '@fhirstream/postgres';
import * as postgresAdapter from '@fhirstream/postgres';
import { openRedisTransport } from '@fhirstream/redis';
import type { StoreConfig, StreamConfig } from './config.js';

/** The opened store, with the backend-specific parts the roles need. */
export type OpenedStore =
  | { kind: 'lmdb'; store: ResourceStore; embedded: Embedded; close(): Promise<void> }
  | { kind: 'postgres'; store: ResourceStore; backend: PostgresBackend; close(): Promise<void> };

/**
 * Open the configured store: the LMDB embedded default (store, runtime and
 * search in one environment) or PostgreSQL (schema created or migrated).
 *
 * @example
 * ```ts
 * const opened = await openConfiguredStore({ kind: 'lmdb', dataDir: './.data' });
 * await opened.close();
 * ```
 */
export async function openConfiguredStore(config: StoreConfig): Promise<OpenedStore> {
  if (config.kind === 'lmdb') {
    const embedded = openEmbedded({ path: config.dataDir });
    return { kind: 'lmdb', store: embedded.store, embedded, close: () => embedded.close() };
  }
  const backend = await postgresAdapter.openPostgresBackend({
    connectionString: config.url,
    schema: config.schema,
    maxConnections: config.maxConnections,
  });
  const store = createStore(backend);
  return { kind: 'postgres', store, backend, close: () => store.close() };
}

/**
 * Open the broker transport of `FHIR_STREAM`.
 *
 * @example
 * ```ts
 * const transport = await openConfiguredTransport({ kind: 'nats', url: 'nats://127.0.0.1:4222', prefix: 'app', ackWaitMs: 30_000 });
 * ```
 */
export async function openConfiguredTransport(config: StreamConfig): Promise<ChangeTransport> {
  return config.kind === 'nats'
    ? openNatsTransport({ servers: config.url, prefix: config.prefix })
    : openRedisTransport({ url: config.url, prefix: config.prefix });
}

/** The shape `createPostgresSearchEngine` is expected to have (it is being written in @fhirstream/postgres). */
type PostgresSearchEngineFactory = (options: {
  backend: PostgresBackend;
  store: ResourceStore;
  runtime?: ProjectorRuntime;
}) => SearchEngine | Promise<SearchEngine>;

/**
 * `createPostgresSearchEngine` of @fhirstream/postgres, when this build has it.
 *
 * @example
 * ```ts
 * if (!postgresSearchAvailable()) console.warn('search is not supported on PostgreSQL yet');
 * ```
 */
export function postgresSearchAvailable(): boolean {
  return postgresSearchFactory() !== undefined;
}

function postgresSearchFactory(): PostgresSearchEngineFactory | undefined {
  const factory = (postgresAdapter as unknown as Record<string, unknown>).createPostgresSearchEngine;
  return typeof factory === 'function' ? (factory as PostgresSearchEngineFactory) : undefined;
}

/**
 * The search engine of the store: LMDB's, or PostgreSQL's when available
 * (`undefined` otherwise: the API then answers searches with not-supported).
 * `runtime` is the one that runs — or, in an `api` process, watches — its projectors.
 *
 * @example
 * ```ts
 * const search = await createConfiguredSearch(opened, runtime);
 * ```
 */
export async function createConfiguredSearch(
  opened: OpenedStore,
  runtime?: ProjectorRuntime,
): Promise<SearchEngine | undefined> {
  if (opened.kind === 'lmdb') return opened.embedded.search;
  const factory = postgresSearchFactory();
  if (!factory) return undefined;
  return factory({ backend: opened.backend, store: opened.store, ...(runtime ? { runtime } : {}) });
}

/**
 * The store as an `api` process sharing it with other writers must see it:
 * `seqCovering` is always the head of the shared log. (Core's per-type
 * watermark only falls back to the head once this process has been notified
 * of another process's commit, and that notification can arrive after a
 * client's next request: a search on another API right after a write there
 * would not wait for it.)
 *
 * @example
 * ```ts
 * const fhir = await createFhirServer({ store: sharedLogStore(store), search, runtime });
 * ```
 */
export function sharedLogStore(store: ResourceStore): ResourceStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'seqCovering') return () => target.headSeq();
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
