import { rmSync } from 'node:fs';
import { createProjectorRuntime, createStore } from '@fhirstream/core';
import { createLmdbSearchEngine, openLmdbBackend } from '@fhirstream/lmdb';
import { commitBundles, updateOps } from './data/commit-bundles.js';
import { loadSynthea } from './data/synthea.js';

rmSync('/tmp/index-probe', { recursive: true, force: true });
const data = loadSynthea('/work/shared/data/synthea-100', { limit: Number(process.argv[2] ?? 20) });
const backend = openLmdbBackend({ path: '/tmp/index-probe' });
const store = createStore(backend);
let t = performance.now();
await commitBundles(store, data.bundles.map(updateOps), 4);
console.log(
  'commit',
  data.resourceCount,
  ((data.resourceCount / (performance.now() - t)) * 1000).toFixed(0),
  '/s',
);
const runtime = createProjectorRuntime(store, { batchSize: Number(process.argv[3] ?? 500) });
const search = createLmdbSearchEngine({ backend, store, runtime });
t = performance.now();
for (const p of search.projectors) await runtime.register(p);
await runtime.waitFor(await store.headSeq(), { timeoutMs: 600000 });
console.log('index', ((data.resourceCount / (performance.now() - t)) * 1000).toFixed(0), 'events/s');
await runtime.stop();
await store.close();
