// The ingest load generator, in a process of its own (so that the server's
// thread does not also build and send the requests): reads the Synthea
// bundles (untimed), says READY, waits for GO on stdin, then POSTs the
// batches one by one and the transactions `concurrency` at a time, checking
// every answer, and prints one JSON line: { resources, uploadMs }.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';

const [url, dir, limitArg, concurrencyArg] = process.argv.slice(2);
const limit = Number(limitArg) || Number.POSITIVE_INFINITY;
const concurrency = Number(concurrencyArg) || 4;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json.gz'))
  .sort((a, b) => Number(b.startsWith('0-')) - Number(a.startsWith('0-')) || a.localeCompare(b))
  .slice(0, limit);
const bundles = files.map((file) => {
  const json = gunzipSync(readFileSync(join(dir, file))).toString('utf8');
  const parsed = JSON.parse(json);
  return { type: parsed.type, json, entries: parsed.entry?.length ?? 0 };
});
const resources = bundles.reduce((n, b) => n + b.entries, 0);

async function post(json) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
    body: json,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`ingest: ${res.status} ${text.slice(0, 500)}`);
  if (text.includes('"outcome"')) {
    const failed = JSON.parse(text).entry.filter((e) => !/^2/.test(e.response.status));
    if (failed.length)
      throw new Error(`ingest: ${failed.length} entries failed, e.g. ${JSON.stringify(failed[0])}`);
  }
}

process.stdout.write('READY\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'GO') break;
const start = performance.now();
for (const b of bundles.filter((b) => b.type === 'batch')) await post(b.json);
const queue = bundles.filter((b) => b.type === 'transaction');
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let b = queue.shift(); b; b = queue.shift()) await post(b.json);
  }),
);
process.stdout.write(
  `${JSON.stringify({ resources, bundles: bundles.length, uploadMs: performance.now() - start })}\n`,
);
process.exit(0);
