/**
 * Quick measurement: the export (as `fhirstream export`) against two
 * baselines on the same store: a raw read of every current version's bytes
 * (type history, as the export reads), and that read plus
 * `JSON.stringify(JSON.parse(bytes))` per resource (a naive exporter).
 *
 *   node --conditions=source --import tsx packages/cli/scripts/export-bench.ts <data-dir>
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceTypes } from '@fhirstream/core';
import { exportData } from '../src/commands/export-command.js';
import { openEmbedded } from '../src/embedded.js';

const dataDir = process.argv[2] ?? './.data';

async function baseline(stringify: boolean): Promise<{ resources: number; bytes: number; ms: number }> {
  const e = await openEmbedded(dataDir, { search: false });
  const seq = await e.store.headSeq();
  const t0 = performance.now();
  let resources = 0;
  let bytes = 0;
  for (const type of resourceTypes()) {
    const seen = new Set<string>();
    for await (const v of e.store.history({ resourceType: type, before: seq + 1 })) {
      if (seen.has(v.id)) continue;
      seen.add(v.id);
      if (v.deleted) continue;
      resources++;
      bytes += stringify
        ? Buffer.byteLength(JSON.stringify(JSON.parse(Buffer.from(v.body!).toString('utf8'))))
        : v.body!.length;
    }
  }
  const ms = performance.now() - t0;
  await e.close();
  return { resources, bytes, ms };
}

const line = (name: string, r: { resources: number; bytes: number; ms: number }) =>
  console.log(
    `${name.padEnd(34)} ${r.resources} resources, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms.toFixed(0)} ms: ` +
      `${Math.round((r.resources * 1000) / r.ms)} resources/s, ${(r.bytes / 1e6 / (r.ms / 1000)).toFixed(1)} MB/s`,
  );

for (let round = 0; round < 2; round++) {
  line('raw read (bytes)', await baseline(false));
  line('raw read + JSON.parse/stringify', await baseline(true));
  const out = mkdtempSync(join(tmpdir(), 'fhirstream-export-bench-'));
  const s = await exportData({ dataDir, outDir: out, quiet: true });
  line('export to ndjson files', { resources: s.resources, bytes: s.bytes, ms: s.ms });
  rmSync(out, { recursive: true, force: true });
}
