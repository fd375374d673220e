import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProjectorRuntime, createStore } from '@fhirstream/core';
import { runSearchConformance } from '@fhirstream/core/testing';
import { openLmdbBackend } from '../lmdb-backend.js';
import { createLmdbSearchEngine } from './lmdb-search-engine.js';

runSearchConformance({
  name: 'lmdb',
  async setup() {
    const path = mkdtempSync(join(tmpdir(), 'fhirstream-search-conformance-'));
    const backend = openLmdbBackend({ path, durability: 'committed' });
    const store = createStore(backend);
    const runtime = createProjectorRuntime(store, { batchSize: 200 });
    const search = createLmdbSearchEngine({ backend, store, runtime });
    return { store, search, runtime, teardown: async () => rmSync(path, { recursive: true, force: true }) };
  },
});
