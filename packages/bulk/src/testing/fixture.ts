/**
 * Test fixture: a real LMDB store in a temp dir, the projector runtime, the
 * compartment index and a FHIR server with the bulk operations, reachable
 * through the real HTTP handler (in process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyResource,
  createFhirServer,
  createProjectorRuntime,
  createStore,
  type FhirServer,
  type OperationHandler,
  type ProjectorRuntime,
  type ResourceStore,
} from '@fhirstream/core';
import { createFhirHandler, type InProcessClient, inProcessClient } from '@fhirstream/http';
import { type LmdbBackend, openLmdbBackend } from '@fhirstream/lmdb';
import { type LmdbCompartmentIndex, lmdbCompartmentIndex } from '../compartment/lmdb-compartment-index.js';

export interface BulkFixture {
  dir: string;
  backend: LmdbBackend;
  store: ResourceStore;
  runtime: ProjectorRuntime;
  compartments: LmdbCompartmentIndex;
  server: FhirServer;
  client: InProcessClient;
  /** Update (with id) or create resources in one commit; waits for the projectors. */
  load(resources: AnyResource[]): Promise<number>;
  /** Close everything (keeps the directory when `keep`). */
  close(keep?: boolean): Promise<void>;
}

export interface FixtureOptions {
  dir?: string;
  operations?: (f: Omit<BulkFixture, 'server' | 'client' | 'load' | 'close'>) => OperationHandler[];
  access?: Parameters<typeof createFhirServer>[0]['access'];
  search?: boolean;
}

export async function openBulkFixture(options: FixtureOptions = {}): Promise<BulkFixture> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'fhirstream-bulk-'));
  const backend = openLmdbBackend({ path: join(dir, 'db'), durability: 'committed' });
  const store = createStore(backend);
  const runtime = createProjectorRuntime(store, { batchSize: 500 });
  const compartments = lmdbCompartmentIndex(backend);
  await runtime.register(compartments.projector);
  const search = options.search === false ? undefined : await searchEngine(backend, store, runtime);
  const server = await createFhirServer({
    store,
    runtime,
    ...(search ? { search } : {}),
    ...(options.access ? { access: options.access } : {}),
    operations: options.operations?.({ dir, backend, store, runtime, compartments }) ?? [],
  });
  const client = inProcessClient(createFhirHandler(server, { basePath: '/fhir' }));
  return {
    dir,
    backend,
    store,
    runtime,
    compartments,
    server,
    client,
    async load(resources) {
      const { seq } = await store.commit(
        resources.map((resource) =>
          resource.id
            ? { op: 'update' as const, resource: resource as AnyResource & { id: string } }
            : { op: 'create' as const, resource },
        ),
      );
      await runtime.waitFor(seq, { timeoutMs: 30_000 });
      return seq;
    },
    async close(keep = false) {
      await server.close();
      await runtime.stop();
      await store.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The LMDB search engine when `@fhirstream/lmdb` exports it (it is being finished), else undefined. */
export async function searchEngine(
  backend: LmdbBackend,
  store: ResourceStore,
  runtime: ProjectorRuntime,
): Promise<Parameters<typeof createFhirServer>[0]['search']> {
  const lmdb = (await import('@fhirstream/lmdb')) as unknown as Record<string, unknown>;
  const create = lmdb.createLmdbSearchEngine as
    | ((o: {
        backend: LmdbBackend;
        store: ResourceStore;
        runtime: ProjectorRuntime;
      }) => Parameters<typeof createFhirServer>[0]['search'])
    | undefined;
  return create ? create({ backend, store, runtime }) : undefined;
}
