/**
 * The embedded Fhirstream the CLI works on: the LMDB store in the data
 * directory, the projector runtime, the LMDB search engine and the patient
 * compartment index, behind a `FhirServer` (so that Bundles are processed as
 * by the HTTP API: transactions, conditional references, validation).
 */
import { lmdbCompartmentIndex } from '@fhirstream/bulk/lmdb';
import {
  createFhirServer,
  createProjectorRuntime,
  createStore,
  type FhirServer,
  type ProjectorRuntime,
  type ResourceStore,
} from '@fhirstream/core';
import { createLmdbSearchEngine, type LmdbBackend, openLmdbBackend } from '@fhirstream/lmdb';

/** An open embedded store with its server. */
export interface Embedded {
  backend: LmdbBackend;
  store: ResourceStore;
  runtime: ProjectorRuntime;
  server: FhirServer;
  /** Wait until every projector has applied the head of the log. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Open the embedded store in `dataDir` (created when missing).
 *
 * @example
 * ```ts
 * const embedded = await openEmbedded('./.data');
 * await embedded.server.handle(requestContext(), { method: 'POST', path: '', body: bundle, params: [], baseUrl: 'urn:cli' });
 * await embedded.close();
 * ```
 */
export async function openEmbedded(dataDir: string, options: { search?: boolean } = {}): Promise<Embedded> {
  const backend = openLmdbBackend({ path: dataDir, durability: 'committed' });
  const store = createStore(backend);
  const runtime = createProjectorRuntime(store);
  const search = options.search === false ? undefined : createLmdbSearchEngine({ backend, store, runtime });
  const compartments = lmdbCompartmentIndex(backend);
  await runtime.register(compartments.projector);
  const server = await createFhirServer({ store, runtime, ...(search ? { search } : {}) });
  return {
    backend,
    store,
    runtime,
    server,
    async settle(timeoutMs = 600_000) {
      const head = await store.headSeq();
      if (head > 0) await runtime.waitFor(head, { timeoutMs });
    },
    async close() {
      await server.close();
      await runtime.stop();
      // Stops the index worker and syncs the search index (its commits are not synced one by one).
      await search?.close();
      await backend.flushed();
      await store.close();
    },
  };
}
