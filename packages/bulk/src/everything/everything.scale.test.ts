/**
 * $everything on real Synthea data: loads the hospital/practitioner batches
 * and a few patient transactions, then checks the largest loaded patient's
 * $everything against a set computed independently from the raw Bundles.
 * Skipped when ../shared/data/synthea-100 is absent.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { patientCompartmentTypes, requestContext } from '@fhirstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directBundleLoader } from '../load/direct-bundle-loader.js';
import { type BulkFixture, openBulkFixture } from '../testing/fixture.js';
import { everythingOperation } from './everything-operation.js';

const DATA = resolve(__dirname, '../../../../../shared/data/synthea-100');
const PATIENTS = 4;
const present = existsSync(DATA);

type Json = { resourceType: string; id?: string; [k: string]: unknown };
interface RawBundle {
  type: string;
  entry: Array<{ fullUrl?: string; resource: Json; request?: { ifNoneExist?: string } }>;
}
const read = (file: string) =>
  JSON.parse(gunzipSync(readFileSync(join(DATA, file))).toString('utf8')) as RawBundle;

function referencesIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) referencesIn(n, out);
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else referencesIn(v, out);
    }
  return out;
}

describe.skipIf(!present)('$everything on Synthea (scale)', () => {
  let f: BulkFixture;
  let largest: { file: string; bundle: RawBundle } | undefined;
  const infra: RawBundle[] = [];
  /** fullUrl → `Type/id` as stored (server-assigned through the server, the uuid when loaded directly). */
  const assigned = new Map<string, string>();
  let viaServer = false;

  beforeAll(async () => {
    viaServer = !!((await import('@fhirstream/lmdb')) as Record<string, unknown>).createLmdbSearchEngine;
    f = await openBulkFixture({
      search: viaServer,
      operations: ({ compartments }) => [everythingOperation({ compartments, maxCount: 100_000 })],
    });
    const files = readdirSync(DATA).filter((n) => n.endsWith('.json.gz'));
    const batches = files.filter((n) => n.startsWith('0-'));
    // The largest patient file plus a few others.
    const patients = files
      .filter((n) => !n.startsWith('0-'))
      .map((n) => ({ n, size: statSync(join(DATA, n)).size }))
      .sort((a, b) => b.size - a.size);
    const chosen = [patients[0]!, ...patients.slice(-(PATIENTS - 1))].map((p) => p.n);
    const loader = directBundleLoader(f.store);
    const t0 = performance.now();
    let count = 0;
    let seq = 0;
    for (const file of [...batches, ...chosen]) {
      const bundle = read(file);
      if (file.startsWith('0-')) infra.push(read(file));
      else if (!largest) largest = { file, bundle: read(file) };
      if (viaServer) {
        const ctx = requestContext();
        const res = await f.server.handle(ctx, {
          method: 'POST',
          path: '',
          params: [],
          body: bundle,
          baseUrl: 'http://x/fhir',
        });
        const entries = (
          res.resource as unknown as { entry: Array<{ response: { status: string; location?: string } }> }
        ).entry;
        entries.forEach((e, i) => {
          expect(Number.parseInt(e.response.status, 10), JSON.stringify(e.response)).toBeLessThan(400);
          const url = bundle.entry[i]!.fullUrl;
          const location = e.response.location?.split('/_history/')[0];
          if (url && location) assigned.set(url, location);
        });
        count += entries.length;
        seq = res.seq ?? (await f.store.headSeq());
      } else {
        const r = await loader.load(bundle as never);
        for (const e of bundle.entry)
          assigned.set(e.fullUrl!, `${e.resource.resourceType}/${e.fullUrl!.slice(9)}`);
        count += r.written;
        seq = r.seq;
      }
    }
    const loaded = performance.now() - t0;
    await f.runtime.waitFor(seq, { timeoutMs: 120_000 });
    const indexed = performance.now() - t0;
    console.log(
      `[scale] loaded ${count} resources ${viaServer ? 'through the server (search engine)' : 'directly'} in ${loaded.toFixed(0)} ms; compartment index caught up at ${indexed.toFixed(0)} ms`,
    );
  }, 300_000);

  afterAll(async () => {
    await f?.close();
  });

  it('returns exactly the compartment plus the referenced non-patient resources of the largest patient', async () => {
    const { bundle } = largest!;
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!;
    const patientId = assigned.get(patient.fullUrl!)!.split('/')[1]!;
    // Independent computation from the raw Bundles (and the ids they were stored under).
    const byUrl = new Map<string, string>();
    for (const e of bundle.entry) byUrl.set(e.fullUrl!, assigned.get(e.fullUrl!)!);
    const byIdentifier = new Map<string, string>();
    for (const b of infra)
      for (const e of b.entry)
        for (const i of (e.resource.identifier as Array<{ system: string; value: string }>) ?? [])
          byIdentifier.set(
            `${e.resource.resourceType}?identifier=${i.system}|${i.value}`,
            assigned.get(e.fullUrl!)!,
          );
    const resolveRef = (ref: string) => byUrl.get(ref) ?? byIdentifier.get(ref) ?? ref;
    const compartmentTypes = new Set(patientCompartmentTypes());
    const expected = new Set<string>([`Patient/${patientId}`]);
    const referenced = new Set<string>();
    for (const e of bundle.entry) {
      const refs = referencesIn(e.resource).map(resolveRef);
      if (!compartmentTypes.has(e.resource.resourceType) || !refs.includes(`Patient/${patientId}`)) continue;
      expected.add(byUrl.get(e.fullUrl!)!);
      for (const r of refs) referenced.add(r);
    }
    const known = new Set([...byUrl.values(), ...byIdentifier.values()]);
    for (const r of referenced)
      if (known.has(r) && !compartmentTypes.has(r.split('/')[0]!) && !r.startsWith('Patient/'))
        expected.add(r);

    const request = {
      method: 'GET' as const,
      path: `Patient/${patientId}/$everything`,
      params: [['_count', '100000']] as Array<[string, string]>,
      baseUrl: 'http://x/fhir',
    };
    const ctx = requestContext();
    await f.server.handle(ctx, request); // warm-up
    const times: number[] = [];
    let body: { total: number; entry: Array<{ resource: Json }> } | undefined;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await f.server.handle(ctx, request);
      times.push(performance.now() - t);
      body = JSON.parse(Buffer.from(res.raw!.body as Uint8Array).toString('utf8'));
    }
    const got = body!.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    console.log(
      `[scale] $everything of the largest patient: ${got.length} resources, ${(res(body!) / 1e6).toFixed(1)} MB, median ${median(times).toFixed(1)} ms (runs: ${times.map((t) => t.toFixed(1)).join(', ')})`,
    );
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...expected].sort());
    expect(got.length).toBeGreaterThan(3000);
  });
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const res = (b: unknown) => JSON.stringify(b).length;
