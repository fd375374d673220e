import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTransportConformance } from '@fhirstream/core/testing';
import { openLmdbStore } from '@fhirstream/lmdb';
import { describe } from 'vitest';
import { openNatsTransport } from './nats-transport.js';

const url = process.env.FHIRSTREAM_NATS_URL;

describe.skipIf(!url)(url ? 'nats' : 'nats (skipped: FHIRSTREAM_NATS_URL not set)', () => {
  runTransportConformance({
    name: 'nats',
    async setup() {
      const prefix = `fst_${randomUUID().slice(0, 8)}`;
      return {
        connect: () => openNatsTransport({ servers: url!, prefix }),
        async teardown() {
          const t = await openNatsTransport({ servers: url!, prefix });
          await t.destroy();
          await t.close();
        },
      };
    },
    async openStore() {
      const path = mkdtempSync(join(tmpdir(), 'fhirstream-nats-'));
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
