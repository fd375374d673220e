import { lmdbCompartmentIndex } from '@fhirstream/bulk/lmdb';
import { createProjectorRuntime, createStore } from '@fhirstream/core';
import { openLmdbBackend } from '@fhirstream/lmdb';
import type { Fixtures } from '../harness/fixtures.js';
import { slidingWindow } from './commit-bundles.js';
import { linkedOps } from './linked-ops.js';
import type { SyntheaData } from './synthea.js';

/**
 * A store path holding all of the loaded Synthea data as {@link linkedOps}
 * (references rewritten to `Type/id`), with the bulk package's LMDB patient
 * compartment index caught up; built once per run (untimed) for the
 * `bulk.*` workloads.
 *
 * @example
 * ```ts
 * const path = await compartmentStore(ctx.fixtures, ctx.synthea);
 * const backend = openLmdbBackend({ path });
 * ```
 */
export function compartmentStore(fixtures: Fixtures, data: SyntheaData): Promise<string> {
  return fixtures.get('synthea-linked-compartments', async (dir) => {
    const backend = openLmdbBackend({ path: dir });
    const store = createStore(backend);
    const runtime = createProjectorRuntime(store);
    try {
      await runtime.register(lmdbCompartmentIndex(backend).projector);
      await slidingWindow(linkedOps(data), 4, (o) => store.commit(o));
      await runtime.waitFor(await store.headSeq(), { timeoutMs: 600_000 });
    } finally {
      await runtime.stop();
      await store.close();
    }
    return dir;
  });
}
