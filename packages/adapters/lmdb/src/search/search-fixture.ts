/**
 * Test fixture: a real LMDB store in a temp dir, the projector runtime and
 * the LMDB search engine, with helpers to load resources and search.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyResource,
  createProjectorRuntime,
  createStore,
  type Projector,
  type ProjectorRuntime,
  type ResourceStore,
  requestContext,
  type SearchParams,
  type SearchRequest,
  type SearchResult,
} from '@fhirstream/core';
import { type LmdbBackend, openLmdbBackend } from '../lmdb-backend.js';
import {
  createLmdbSearchEngine,
  type LmdbSearchEngine,
  type LmdbSearchEngineOptions,
} from './lmdb-search-engine.js';

/** A running search stack over a temp LMDB environment. */
export interface SearchFixture {
  backend: LmdbBackend;
  store: ResourceStore;
  runtime: ProjectorRuntime;
  engine: LmdbSearchEngine;
  /** Create or update (when the resource has an id) resources, then wait for the index. */
  load(resources: AnyResource[]): Promise<number>;
  /** Search and return the result. */
  search(
    resourceType: string | undefined,
    params: SearchParams,
    extra?: Partial<SearchRequest>,
  ): Promise<SearchResult>;
  /** Search and return `Type/id` of the matches, sorted (order-insensitive checks). */
  ids(
    resourceType: string | undefined,
    params: SearchParams,
    extra?: Partial<SearchRequest>,
  ): Promise<string[]>;
  close(): Promise<void>;
}

/** Open a {@link SearchFixture}. */
export async function openSearchFixture(
  options: Partial<LmdbSearchEngineOptions> = {},
): Promise<SearchFixture> {
  const path = mkdtempSync(join(tmpdir(), 'fhirstream-search-'));
  const backend = openLmdbBackend({ path, durability: 'committed' });
  const store = createStore(backend);
  const runtime = createProjectorRuntime(store, { batchSize: 200 });
  const engine = createLmdbSearchEngine({ backend, store, runtime, ...options });
  for (const p of engine.projectors) await runtime.register(p);
  const fixture: SearchFixture = {
    backend,
    store,
    runtime,
    engine,
    async load(resources) {
      const { seq } = await store.commit(
        resources.map((resource) =>
          resource.id
            ? { op: 'update' as const, resource: resource as AnyResource & { id: string } }
            : { op: 'create' as const, resource },
        ),
      );
      await runtime.waitFor(seq, { timeoutMs: 60_000 });
      return seq;
    },
    search: (resourceType, params, extra = {}) =>
      engine.search({ ...(resourceType ? { resourceType } : {}), params, ...extra }, requestContext()),
    async ids(resourceType, params, extra) {
      const r = await fixture.search(resourceType, [...params, ['_count', '1000']], extra);
      return r.matches.map((m) => `${m.resourceType}/${m.id}`).sort();
    },
    async close() {
      await runtime.stop();
      await store.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
  return fixture;
}

/**
 * Count the events a projector applies from now on (for tests that check
 * where it resumed).
 *
 * @example
 * ```ts
 * const applied = countApplied(embedded.search.indexProjector);
 * await embedded.runtime.register(embedded.search.indexProjector);
 * applied(); // 0 when it resumed at the head
 * ```
 */
export function countApplied(projector: Pick<Projector, 'apply'>): () => number {
  const apply = projector.apply.bind(projector);
  let applied = 0;
  projector.apply = (batch, ctx) => {
    applied += batch.length;
    return apply(batch, ctx);
  };
  return () => applied;
}
