import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFhirServer,
  createStore,
  type FhirServer,
  type ResourceStore,
  type ServerLimits,
} from '@fhirstream/core';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import { createFhirHandler, type FetchHandler, type FhirHandlerOptions } from '../handler.js';

/** The small limits the REST suite is run with, so that limit tests stay cheap. */
export const SUITE_LIMITS = {
  maxBodyBytes: 64 * 1024,
  server: { maxCount: 20, defaultCount: 10, maxBundleEntries: 50 } satisfies Partial<ServerLimits>,
};

/** A Fhirstream server on a fresh LMDB environment in a temp dir. */
export interface TestFhirServer {
  server: FhirServer;
  store: ResourceStore;
  /** `createFhirHandler(server, { basePath, maxBodyBytes })`. */
  handler: FetchHandler;
  dir: string;
  /** Close the server and the store, and delete the temp dir. */
  close(): Promise<void>;
}

/**
 * Open a FHIR server on real LMDB files in a temp dir, with the LMDB search
 * engine and the suite's small limits.
 *
 * @example
 * ```ts
 * const t = await openTestServer({ basePath: '/fhir' });
 * const res = await t.handler(new Request('http://x/fhir/metadata'));
 * await t.close();
 * ```
 */
export async function openTestServer(
  handlerOptions: FhirHandlerOptions = {},
  limits: Partial<ServerLimits> = SUITE_LIMITS.server,
): Promise<TestFhirServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fhirstream-http-'));
  const backend = openLmdbBackend({ path: dir, durability: 'committed' });
  const store = createStore(backend);
  const search = createLmdbSearchEngine({
    backend,
    store,
    ...(limits.defaultCount ? { defaultCount: limits.defaultCount } : {}),
    ...(limits.maxCount ? { maxCount: limits.maxCount } : {}),
  });
  const server = await createFhirServer({ store, search, limits });
  const handler = createFhirHandler(server, { maxBodyBytes: SUITE_LIMITS.maxBodyBytes, ...handlerOptions });
  return {
    server,
    store,
    handler,
    dir,
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
