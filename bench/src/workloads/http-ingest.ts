import { join } from 'node:path';
import { openEmbedded } from '@fhirstream/lmdb';
import type { Workload } from '../harness/types.js';
import { startIngest } from '../load/ingest-generator.js';
import { listenFhirstream } from './http-server.js';

/**
 * Ingest of the Synthea bundles as they are, over HTTP, from a load
 * generator in another process: the batches of conditional creates first,
 * then the per-patient transactions (urn:uuid and conditional references
 * resolved inside), 4 uploads at a time; timed until the last response AND
 * the search index has applied everything.
 */
export const httpIngest: Workload = {
  name: 'http.ingest',
  issue: '#3',
  description:
    'POST the Synthea Bundles (batch + transaction) over HTTP from another process, 4 concurrent, until the search index is current',
  needs: ['synthea'],
  async run(ctx) {
    const embedded = openEmbedded({ path: join(ctx.dir, 'store') });
    const server = await listenFhirstream(embedded.store, {
      search: embedded.search,
      runtime: embedded.runtime,
    });
    try {
      const ingest = await startIngest({
        url: `${server.url}/fhir`,
        dir: ctx.synthea.dir,
        ...(ctx.quick ? { limit: 12 } : {}),
        concurrency: 4,
      });
      const start = performance.now();
      const { resources, bundles, uploadMs } = await ingest.go();
      await embedded.runtime.waitFor(await embedded.store.headSeq(), { timeoutMs: 600_000 });
      const indexed = performance.now();
      ctx.log(
        `ingest: ${resources} entries in ${bundles} bundles; uploads ${uploadMs.toFixed(0)} ms, index current after ${(indexed - start).toFixed(0)} ms`,
      );
      return [
        {
          name: '4 concurrent uploads, index current',
          unit: 'resources/s',
          value: Math.round(resources / ((indexed - start) / 1000)),
          target: { min: 10_000 },
          details: {
            resources,
            bundles,
            uploadMs: Math.round(uploadMs),
            indexedMs: Math.round(indexed - start),
          },
        },
        {
          name: '4 concurrent uploads, answered (index may lag)',
          unit: 'resources/s',
          value: Math.round(resources / (uploadMs / 1000)),
        },
      ];
    } finally {
      await server.close();
      await embedded.close();
    }
  },
};
