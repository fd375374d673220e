/**
 * Child process of `unsynced-marker.test.ts`: indexes `n` patients, prints
 * `INDEXED <seq>` once the index is current, and waits to be killed (it
 * never closes the store: its index writes were never synced).
 */
import { openEmbedded } from '../embedded.js';

const [path, n] = process.argv.slice(2) as [string, string];
const embedded = openEmbedded({ path });
await embedded.runtime.register(embedded.search.indexProjector);
const ops = Array.from({ length: Number(n) }, () => ({
  op: 'create' as const,
  resource: { resourceType: 'Patient', gender: 'female' },
}));
const { seq } = await embedded.store.commit(ops);
await embedded.runtime.waitFor(seq, { timeoutMs: 60_000 });
process.stdout.write(`INDEXED ${seq}\n`);
setInterval(() => {}, 1_000);
