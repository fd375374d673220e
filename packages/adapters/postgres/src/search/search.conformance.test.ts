import { createProjectorRuntime, createStore } from '@fhirstream/core';
import { runSearchConformance } from '@fhirstream/core/testing';
import { describe } from 'vitest';
import { openPostgresBackend } from '../postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema, suiteTitle } from '../test-database.js';
import { createPostgresSearchEngine } from './postgres-search-engine.js';

describe.skipIf(!POSTGRES_URL)(suiteTitle('postgres search conformance'), () => {
  runSearchConformance({
    name: 'postgres',
    async setup() {
      const schema = randomSchema();
      const backend = await openPostgresBackend({
        connectionString: POSTGRES_URL!,
        schema,
        maxConnections: 6,
      });
      const store = createStore(backend);
      const runtime = createProjectorRuntime(store, { batchSize: 200 });
      const search = createPostgresSearchEngine({ backend, store, runtime });
      return { store, search, runtime, teardown: () => dropSchema(schema) };
    },
  });
});
