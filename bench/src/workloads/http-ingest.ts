import { join } from 'node:path';
import { openEmbedded } from '@fhirstream/lmdb';
import { slidingWindow } from '../data/commit-bundles.js';
import { loadRawBundles } from '../data/raw-bundles.js';
import type { Workload } from '../harness/types.js';
import { listenFhirstream } from './http-server.js';

/**
 * Ingest of the Synthea bundles as they are, over HTTP: the batches of
 * conditional creates first, then the per-patient transactions (urn:uuid and
 * conditional references resolved inside), 4 uploads at a time; timed until
 * the last response AND the search index has applied everything.
 */
export const httpIngest: Workload = {
  name: 'http.ingest',
  issue: '#3',
  description:
    'POST the Synthea Bundles (batch + transaction) over HTTP, 4 concurrent, until the search index is current',
  needs: ['synthea'],
  async run(ctx) {
    const bundles = loadRawBundles(ctx.synthea.dir, ctx.quick ? 12 : undefined);
    const embedded = openEmbedded({ path: join(ctx.dir, 'store') });
    const server = await listenFhirstream(embedded.store, {
      search: embedded.search,
      runtime: embedded.runtime,
    });
    const post = async (json: string) => {
      const res = await fetch(`${server.url}/fhir`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
        body: json,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`ingest: ${res.status} ${text.slice(0, 500)}`);
      if (text.includes('"outcome"')) {
        const failed = (JSON.parse(text) as { entry: Array<{ response: { status: string } }> }).entry.filter(
          (e) => !/^2/.test(e.response.status),
        );
        if (failed.length)
          throw new Error(`ingest: ${failed.length} batch entries failed, e.g. ${JSON.stringify(failed[0])}`);
      }
    };
    const resources = bundles.reduce((n, b) => n + b.entries, 0);
    try {
      const start = performance.now();
      const batches = bundles.filter((b) => b.type === 'batch');
      for (const b of batches) await post(b.json);
      await slidingWindow(
        bundles.filter((b) => b.type === 'transaction'),
        4,
        (b) => post(b.json),
      );
      const uploaded = performance.now();
      await embedded.runtime.waitFor(await embedded.store.headSeq(), { timeoutMs: 600_000 });
      const indexed = performance.now();
      ctx.log(
        `ingest: ${resources} entries in ${bundles.length} bundles; uploads ${(uploaded - start).toFixed(0)} ms, index current after ${(indexed - start).toFixed(0)} ms`,
      );
      return [
        {
          name: '4 concurrent uploads, index current',
          unit: 'resources/s',
          value: Math.round(resources / ((indexed - start) / 1000)),
          target: { min: 10_000 },
          details: {
            resources,
            bundles: bundles.length,
            uploadMs: Math.round(uploaded - start),
            indexedMs: Math.round(indexed - start),
          },
        },
      ];
    } finally {
      await server.close();
      await embedded.close();
    }
  },
};
