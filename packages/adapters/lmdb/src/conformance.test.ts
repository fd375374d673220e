import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '@fhirstream/core/testing';
import { openLmdbBackend } from './lmdb-backend.js';

runStoreConformance({
  name: 'lmdb',
  async setup() {
    const path = mkdtempSync(join(tmpdir(), 'fhirstream-lmdb-'));
    return {
      backend: openLmdbBackend({ path }),
      reopen: async () => openLmdbBackend({ path }),
      teardown: async () => rmSync(path, { recursive: true, force: true }),
    };
  },
});
