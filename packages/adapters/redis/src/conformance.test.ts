import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTransportConformance } from '@fhirstream/core/testing';
import { openLmdbStore } from '@fhirstream/lmdb';
import { describe } from 'vitest';
import { openRedisTransport } from './redis-transport.js';

const url = process.env.FHIRSTREAM_REDIS_URL;

describe.skipIf(!url)(url ? 'redis' : 'redis (skipped: FHIRSTREAM_REDIS_URL not set)', () => {
  runTransportConformance({
    name: 'redis',
    async setup() {
      const prefix = `fst_${randomUUID().slice(0, 8)}`;
      return {
        connect: () => openRedisTransport({ url: url!, prefix }),
        async teardown() {
          const t = await openRedisTransport({ url: url!, prefix });
          await t.destroy();
          await t.close();
        },
      };
    },
    async openStore() {
      const path = mkdtempSync(join(tmpdir(), 'fhirstream-redis-'));
      const store = openLmdbStore({ path });
      return {
        store,
        async dispose() {
          await store.close();
          rmSync(path, { recursive: true, force: true });
        },
      };
    },
  });
});
