/**
 * Quick measurement of structural validation speed on Synthea data (not a
 * test; numbers depend on the machine). Validates every resource of the first
 * N bundle files of `../shared/data/synthea-100` (default 5) several times and
 * prints µs per resource, overall and per resource type, next to the cost of
 * JSON.parse(JSON.stringify(resource)) as a baseline.
 *
 * Run: `node --import tsx scripts/measure-validation.ts [files] [rounds]` in packages/core.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { validateResource } from '../src/validation/validate-resource.js';

const dataDir = fileURLToPath(new URL('../../../../shared/data/synthea-100/', import.meta.url));
const fileCount = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 10);

if (!existsSync(dataDir)) {
  console.error(`No Synthea data at ${dataDir}`);
  process.exit(1);
}

const files = readdirSync(dataDir)
  .filter((f) => f.endsWith('.json.gz'))
  .sort()
  .slice(0, fileCount);
const resources: { resourceType: string }[] = [];
for (const file of files) {
  const bundle = JSON.parse(gunzipSync(readFileSync(dataDir + file)).toString('utf8'));
  for (const entry of bundle.entry) resources.push(entry.resource);
}

function time(fn: (r: { resourceType: string }) => unknown, list: { resourceType: string }[]): number {
  const start = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) for (const r of list) fn(r);
  return Number(process.hrtime.bigint() - start) / 1000 / (rounds * list.length);
}

let invalid = 0;
for (const r of resources) if (validateResource(r).length > 0) invalid++; // warm-up + sanity
time(validateResource, resources); // warm-up

const all = time(validateResource, resources);
const baseline = time((r) => JSON.parse(JSON.stringify(r)), resources);
console.log(`${files.length} files, ${resources.length} resources (${invalid} invalid), ${rounds} rounds`);
console.log(
  `validateResource: ${all.toFixed(2)} µs/resource; JSON round trip: ${baseline.toFixed(2)} µs/resource`,
);

const byType = new Map<string, { resourceType: string }[]>();
for (const r of resources) {
  const list = byType.get(r.resourceType);
  if (list) list.push(r);
  else byType.set(r.resourceType, [r]);
}
for (const [type, list] of [...byType.entries()].sort((a, b) => b[1].length - a[1].length)) {
  const v = time(validateResource, list);
  const b = time((r) => JSON.parse(JSON.stringify(r)), list);
  console.log(
    `  ${type.padEnd(28)} n=${String(list.length).padStart(5)}  ${v.toFixed(2)} µs  (JSON ${b.toFixed(2)} µs)`,
  );
}
