import { runStoreConformance } from '@fhirstream/core/testing';
import { describe } from 'vitest';
import { openPostgresBackend } from './postgres-backend.js';
import { dropSchema, POSTGRES_URL, randomSchema, suiteTitle } from './test-database.js';

describe.skipIf(!POSTGRES_URL)(suiteTitle('postgres store conformance'), () => {
  runStoreConformance({
    name: 'postgres',
    async setup() {
      const schema = randomSchema();
      const open = () => openPostgresBackend({ connectionString: POSTGRES_URL!, schema, maxConnections: 4 });
      return {
        backend: await open(),
        reopen: open,
        teardown: () => dropSchema(schema),
      };
    },
  });
});
