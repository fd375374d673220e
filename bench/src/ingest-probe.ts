import { rmSync } from 'node:fs';
import { openEmbedded } from '@fhirstream/lmdb';
import { slidingWindow } from './data/commit-bundles.js';
import { loadRawBundles } from './data/raw-bundles.js';
import { listenFhirstream } from './workloads/http-server.js';

rmSync('/tmp/ingest-probe', { recursive: true, force: true });
const bundles = loadRawBundles('/work/shared/data/synthea-100', Number(process.argv[2] ?? 22));
const embedded = openEmbedded({ path: '/tmp/ingest-probe' });
const server = await listenFhirstream(embedded.store, { search: embedded.search, runtime: embedded.runtime });
const post = async (json: string) => {
  const r = await fetch(`${server.url}/fhir`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
    body: json,
  });
  const t = await r.text();
  if (r.status !== 200) throw new Error(t.slice(0, 300));
};
let t = performance.now();
for (const b of bundles.filter((b) => b.type === 'batch')) {
  await post(b.json);
  console.log('batch', b.entries, (performance.now() - t).toFixed(0), 'ms');
  t = performance.now();
}
const tx = bundles.filter((b) => b.type === 'transaction');
const n = tx.reduce((a, b) => a + b.entries, 0);
t = performance.now();
await slidingWindow(tx, 4, (b) => post(b.json));
const up = performance.now() - t;
await embedded.runtime.waitFor(await embedded.store.headSeq(), { timeoutMs: 600000 });
console.log(
  'tx',
  n,
  'uploads',
  up.toFixed(0),
  'ms',
  ((n / up) * 1000).toFixed(0),
  '/s; indexed',
  (performance.now() - t).toFixed(0),
  'ms',
  ((n / (performance.now() - t)) * 1000).toFixed(0),
  '/s',
);
console.log(await embedded.runtime.status());
await server.close();
await embedded.close();
