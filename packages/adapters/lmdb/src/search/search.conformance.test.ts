import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProjectorRuntime, createStore } from '@fhirstream/core';
import { runSearchConformance } from '@fhirstream/core/testing';
import { openLmdbBackend } from '../lmdb-backend.js';
import { createLmdbSearchEngine, type LmdbSearchEngineOptions } from './lmdb-search-engine.js';

/** The shared suite, with the index applied as configured (small batches inline, large ones by the worker). */
function run(name: string, worker: LmdbSearchEngineOptions['worker']): void {
  runSearchConformance({
    name,
    async setup() {
      const path = mkdtempSync(join(tmpdir(), 'fhirstream-search-conformance-'));
      const backend = openLmdbBackend({ path, durability: 'committed' });
      const store = createStore(backend);
      const runtime = createProjectorRuntime(store, { batchSize: 200 });
      const search = createLmdbSearchEngine({ backend, store, runtime, worker });
      return {
        store,
        search,
        runtime,
        teardown: async () => {
          await search.close();
          rmSync(path, { recursive: true, force: true });
        },
      };
    },
  });
}

run('lmdb', undefined);
// Every batch through the index worker thread once it is up (the first starts it): the same results.
run('lmdb, batches in the index worker', { minBatch: 1 });
