import { everythingOperation } from '@fhirstream/bulk';
import { lmdbCompartmentIndex } from '@fhirstream/bulk/lmdb';
import {
  createFhirServer,
  createProjectorRuntime,
  createStore,
  type FhirRequest,
  requestContext,
} from '@fhirstream/core';
import { openLmdbBackend } from '@fhirstream/lmdb';
import { compartmentStore } from '../data/compartment-store.js';
import { percentile, round2 } from '../harness/percentiles.js';
import type { Workload } from '../harness/types.js';

/** Timed runs of each side. */
const RUNS = 30;

/**
 * `bulk.everything` (#5): `Patient/[id]/$everything` (one page, `_count`
 * 10,000) of the patient with the most resources, through `server.handle`
 * with the LMDB compartment index, next to reading the same resources with
 * `store.read` and concatenating their stored bodies; runs interleaved.
 */
export const bulkEverything: Workload = {
  name: 'bulk.everything',
  issue: '#5',
  description: 'Patient/$everything of the largest patient (p50/p99) vs store.read of the same resources',
  needs: ['synthea'],
  async run(ctx) {
    ctx.log('populating the store and the compartment index (untimed, shared fixture)…');
    const path = await compartmentStore(ctx.fixtures, ctx.synthea);
    const backend = openLmdbBackend({ path });
    const store = createStore(backend);
    const runtime = createProjectorRuntime(store);
    const compartments = lmdbCompartmentIndex(backend);
    await runtime.register(compartments.projector);
    await runtime.waitFor(await store.headSeq(), { timeoutMs: 600_000 });
    const server = await createFhirServer({
      store,
      runtime,
      operations: [everythingOperation({ compartments, maxCount: 100_000 })],
    });
    try {
      // The patient whose bundle holds the most resources (each transaction bundle is one patient).
      const largest = ctx.synthea.bundles
        .filter((b) => b.type === 'transaction')
        .sort((a, b) => b.resources.length - a.resources.length)[0];
      const patient = largest?.resources.find((r) => r.resourceType === 'Patient');
      if (!patient) throw new Error('no patient bundle in the data');
      const request: FhirRequest = {
        method: 'GET',
        path: `Patient/${patient.id}/$everything`,
        params: [['_count', '10000']],
        baseUrl: 'http://bench/fhir',
      };
      const rctx = requestContext();
      const everything = async () => {
        const res = await server.handle(rctx, request);
        if (res.status !== 200) throw new Error(`$everything: ${res.status}`);
        return res;
      };
      const first = await everything();
      const bundleBytes = first.raw
        ? Buffer.from(first.raw.body as Uint8Array)
        : Buffer.from(JSON.stringify(first.resource));
      const bundle = JSON.parse(bundleBytes.toString('utf8')) as {
        entry?: Array<{ resource: { resourceType: string; id: string } }>;
        link?: Array<{ relation: string }>;
      };
      if (bundle.link?.some((l) => l.relation === 'next'))
        throw new Error('$everything answered more than one page');
      const keys = (bundle.entry ?? []).map((e) => [e.resource.resourceType, e.resource.id] as const);
      ctx.log(
        `Patient/${patient.id}: ${keys.length} resources, ${(bundleBytes.length / 1e6).toFixed(1)} MB bundle; ${RUNS} runs each…`,
      );
      const rawRead = async () => {
        const bodies: Uint8Array[] = [];
        for (const [type, id] of keys) {
          const v = await store.read(type, id);
          if (!v?.body) throw new Error(`${type}/${id} not found`);
          bodies.push(v.body);
        }
        return Buffer.concat(bodies).length;
      };
      await rawRead(); // warm-up
      const runs = ctx.quick ? 10 : RUNS;
      const ours: number[] = [];
      const raw: number[] = [];
      for (let i = 0; i < runs; i++) {
        let t = performance.now();
        await everything();
        ours.push(performance.now() - t);
        t = performance.now();
        await rawRead();
        raw.push(performance.now() - t);
      }
      const details = { patient: patient.id, resources: keys.length, bundleBytes: bundleBytes.length, runs };
      return [
        {
          name: `largest patient (${keys.length} resources), p50`,
          unit: 'ms',
          better: 'lower',
          value: round2(percentile(ours, 50)),
          baseline: { name: 'store.read same ids + concat', value: round2(percentile(raw, 50)) },
          target: { max: 100 },
          details,
        },
        {
          name: `largest patient (${keys.length} resources), p99`,
          unit: 'ms',
          better: 'lower',
          value: round2(percentile(ours, 99)),
          baseline: { name: 'store.read same ids + concat', value: round2(percentile(raw, 99)) },
          details,
        },
      ];
    } finally {
      await server.close();
      await runtime.stop();
      await store.close();
    }
  },
};
