import { join } from 'node:path';
import { createFhirServer, type FhirServer, requestContext } from '@fhirstream/core';
import { openEmbedded, openLmdbStore } from '@fhirstream/lmdb';
import { slidingWindow } from '../data/commit-bundles.js';
import { linkedOps } from '../data/linked-ops.js';
import type { Figure, Workload } from '../harness/types.js';

/**
 * Search over the full Synthea data: `_summary=count` queries per second and
 * first-page latency (p50, p99) for token, date range, reference with
 * `_include`, chained and `_has` queries, through the FHIR service (no HTTP);
 * and the cost of indexing: ingest with the search index on (until it is
 * current) next to the same ingest with it off, in the same run.
 */
export const searchQueries: Workload = {
  name: 'search.queries',
  issue: '#4',
  description: 'count queries/s and first page p50/p99 over the full data; ingest with indexing on vs off',
  needs: ['synthea'],
  async run(ctx) {
    const ops = linkedOps(ctx.synthea);
    const resources = ops.reduce((n, o) => n + o.length, 0);
    const figures: Figure[] = [];

    const plain = openLmdbStore({ path: join(ctx.dir, 'plain') });
    let t = performance.now();
    let cpu = process.cpuUsage();
    await slidingWindow(ops, 4, (o) => plain.commit(o));
    const offMs = performance.now() - t;
    const offCpu = cpuPerResource(cpu, resources);
    await plain.close();

    const embedded = openEmbedded({ path: join(ctx.dir, 'indexed') });
    const server = await createFhirServer({
      store: embedded.store,
      search: embedded.search,
      runtime: embedded.runtime,
    });
    try {
      t = performance.now();
      cpu = process.cpuUsage();
      await slidingWindow(ops, 4, (o) => embedded.store.commit(o));
      await embedded.runtime.waitFor(await embedded.store.headSeq(), { timeoutMs: 900_000 });
      const onMs = performance.now() - t;
      const onCpu = cpuPerResource(cpu, resources);
      ctx.log(`CPU per resource, all threads: index on ${onCpu} µs, off ${offCpu} µs`);
      figures.push({
        name: 'ingest, 4 bundles in flight, index current',
        unit: 'resources/s',
        value: Math.round(resources / (onMs / 1000)),
        baseline: { name: 'same ingest, index off', value: Math.round(resources / (offMs / 1000)) },
        target: { minRatio: 1 / 1.3 },
      });
      // CPU is steadier than wall time on a shared VM: what indexing costs, whatever else runs.
      figures.push({
        name: 'ingest CPU per resource (all threads), index current',
        unit: 'µs',
        better: 'lower',
        value: onCpu,
        baseline: { name: 'same ingest, index off', value: offCpu },
      });

      const patient = ctx.synthea.bundles
        .flatMap((b) => b.resources)
        .find((r) => r.resourceType === 'Patient')!;
      const queries: Array<[string, string]> = [
        ['token', 'Observation?code=http://loinc.org|8302-2'],
        ['date range', 'Encounter?date=ge2015-01-01&date=lt2016-01-01'],
        ['reference + _include', `Observation?subject=Patient/${patient.id}&_include=Observation:subject`],
        ['chained', 'Observation?code=http://loinc.org|8302-2&subject:Patient.gender=female'],
        ['_has', 'Patient?_has:Condition:patient:code=http://snomed.info/sct|44054006'],
      ];
      const seconds = ctx.quick ? 0.5 : 2;
      for (const [label, query] of queries) {
        const count = await rate(server, `${query}&_summary=count`, seconds);
        const page = await latencies(server, `${query}&_count=50`, ctx.quick ? 50 : 300);
        ctx.log(
          `${label}: ${count.perSecond.toFixed(0)} count queries/s (total ${count.total}); first page p50 ${page.p50.toFixed(2)} ms`,
        );
        figures.push({
          name: `${label}: _summary=count`,
          unit: 'queries/s',
          value: Math.round(count.perSecond),
          target: { min: 1000 },
          details: { total: count.total },
        });
        figures.push({
          name: `${label}: first page of 50, p50`,
          unit: 'ms',
          better: 'lower',
          value: round(page.p50),
          target: { max: 5 },
        });
        figures.push({
          name: `${label}: first page of 50, p99`,
          unit: 'ms',
          better: 'lower',
          value: round(page.p99),
        });
      }
      return figures;
    } finally {
      await server.close();
      await embedded.close();
    }
  },
};

const round = (n: number) => Math.round(n * 100) / 100;

/** Process CPU (user + system, every thread) since `since`, per resource, in µs. */
const cpuPerResource = (since: NodeJS.CpuUsage, resources: number): number => {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / resources);
};

async function search(server: FhirServer, query: string) {
  const [type, q] = query.split('?') as [string, string];
  const response = await server.handle(requestContext(), {
    method: 'GET',
    path: type,
    params: [...new URLSearchParams(q)],
    baseUrl: 'http://bench/fhir',
  });
  if (response.status !== 200)
    throw new Error(`${query}: ${response.status} ${JSON.stringify(response.resource).slice(0, 300)}`);
  return response.resource as { total?: number; entry?: unknown[] };
}

async function rate(server: FhirServer, query: string, seconds: number) {
  const first = await search(server, query);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await search(server, query);
    n++;
  }
  return { perSecond: (n * 1000) / (performance.now() - start), total: first.total ?? 0 };
}

async function latencies(server: FhirServer, query: string, runs: number) {
  await search(server, query);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await search(server, query);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)]!,
    p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
  };
}
