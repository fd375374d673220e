import { openLmdbStore } from '@fhirstream/lmdb';
import { syntheaStore } from '../data/commit-bundles.js';
import type { Workload } from '../harness/types.js';
import { type LoadResult, runLoad } from '../load/load-generator.js';
import { listenBare, listenFhirstream } from './http-server.js';

/**
 * Read by id over HTTP, loaded by autocannon from another process, next to a
 * bare node:http server serving the same stored bytes (with the same headers)
 * from a Map, in the same run.
 */
export const httpRead: Workload = {
  name: 'http.read',
  issue: '#3',
  description: 'GET [base]/Type/id over HTTP vs bare node:http serving the same bytes',
  needs: ['synthea'],
  async run(ctx) {
    const store = openLmdbStore({ path: await syntheaStore(ctx.fixtures, ctx.synthea) });
    const all = ctx.synthea.bundles.flatMap((b) => b.resources);
    const step = Math.max(1, Math.floor(all.length / 2000));
    const picks = all.filter((_, i) => i % step === 0).slice(0, 2000);
    const bare = new Map<string, { body: Uint8Array; etag: string; lastModified: string }>();
    for (const r of picks) {
      const stored = await store.read(r.resourceType, r.id);
      if (!stored?.body) continue;
      bare.set(`/fhir/${r.resourceType}/${r.id}`, {
        body: stored.body,
        etag: `W/"${stored.versionId}"`,
        lastModified: new Date(stored.lastUpdated).toUTCString(),
      });
    }
    const requests = [...bare.keys()].map((path) => ({ method: 'GET', path }));
    const fhir = await listenFhirstream(store);
    const raw = await listenBare((req, res) => {
      const hit = bare.get(req.url ?? '');
      if (!hit) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/fhir+json; charset=utf-8',
        etag: hit.etag,
        'last-modified': hit.lastModified,
        'content-length': hit.body.length,
      });
      res.end(hit.body);
    });
    // Alternating rounds, the best of each side: the VM's speed drifts over seconds, and a ratio of
    // two runs taken one after the other measured that drift as much as the servers.
    const duration = ctx.quick ? 2 : 4;
    const rounds = ctx.quick ? 1 : 3;
    try {
      ctx.log(
        `read: ${requests.length} distinct resources, ${rounds} alternating rounds of ${duration}s per server, 32 connections`,
      );
      await runLoad({ url: fhir.url, requests, duration: 1 });
      await runLoad({ url: raw.url, requests, duration: 1 });
      let bareResult: LoadResult | undefined;
      let fhirResult: LoadResult | undefined;
      const better = (a: LoadResult | undefined, b: LoadResult) =>
        a && a.requestsPerSecond >= b.requestsPerSecond ? a : b;
      for (let round = 0; round < rounds; round++) {
        const bareRound = await runLoad({ url: raw.url, requests, duration });
        const fhirRound = await runLoad({ url: fhir.url, requests, duration });
        check(fhirRound, 'fhirstream');
        check(bareRound, 'bare');
        ctx.log(
          `round ${round + 1}: fhirstream ${Math.round(fhirRound.requestsPerSecond)} req/s, bare ${Math.round(bareRound.requestsPerSecond)} req/s`,
        );
        bareResult = better(bareResult, bareRound);
        fhirResult = better(fhirResult, fhirRound);
      }
      if (!bareResult || !fhirResult) throw new Error('no round ran');
      return [
        {
          name: 'GET by id, 32 connections',
          unit: 'req/s',
          value: Math.round(fhirResult.requestsPerSecond),
          baseline: { name: 'bare node:http, same bytes', value: Math.round(bareResult.requestsPerSecond) },
          target: { minRatio: 0.7 },
        },
        {
          name: 'GET by id latency p50',
          unit: 'ms',
          better: 'lower',
          value: fhirResult.latencyP50,
          baseline: { name: 'bare node:http', value: bareResult.latencyP50 },
        },
        {
          name: 'GET by id latency p99',
          unit: 'ms',
          better: 'lower',
          value: fhirResult.latencyP99,
          baseline: { name: 'bare node:http', value: bareResult.latencyP99 },
        },
      ];
    } finally {
      await fhir.close();
      await raw.close();
      await store.close();
    }
  },
};

function check(result: LoadResult, what: string): void {
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${what}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
}
