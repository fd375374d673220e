import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { AnyResource } from '@fhirstream/core';

/** One resource of a bundle, with the id the store workloads write it under. */
export interface SyntheaResource {
  resourceType: string;
  /** The uuid of the entry's `urn:uuid:` fullUrl, else the resource's own id. */
  id: string;
  /** The resource, with `id` set to {@link id}. */
  resource: AnyResource & { id: string };
  /** UTF-8 size of `JSON.stringify(resource)`. */
  jsonBytes: number;
}

/** One Synthea bundle file, parsed. */
export interface SyntheaBundle {
  file: string;
  /** `batch` (hospital and practitioner information) or `transaction` (one patient). */
  type: string;
  resources: SyntheaResource[];
  jsonBytes: number;
}

/** The loaded data set. */
export interface SyntheaData {
  dir: string;
  /** Bundles in load order: the `0-*` (organizations, practitioners) first. */
  bundles: SyntheaBundle[];
  resourceCount: number;
  /** Total UTF-8 bytes of the resources' JSON (`JSON.stringify`, no whitespace). */
  jsonBytes: number;
  /** Time taken to read, gunzip and parse (never part of a measurement). */
  loadMs: number;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Where the Synthea data is: `$FHIRSTREAM_BENCH_DATA`, else
 * `../shared/data/synthea-100` relative to the repo root. Undefined when the
 * folder does not exist or holds no `.json.gz` file.
 *
 * @example
 * ```ts
 * const dir = findSyntheaDir(); // '/work/shared/data/synthea-100'
 * ```
 */
export function findSyntheaDir(): string | undefined {
  const dir = process.env.FHIRSTREAM_BENCH_DATA ?? resolve(repoRoot, '../shared/data/synthea-100');
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir).some((f) => f.endsWith('.json.gz')) ? dir : undefined;
}

/** The path `findSyntheaDir` looks at, for messages. */
export function expectedSyntheaDir(): string {
  return process.env.FHIRSTREAM_BENCH_DATA ?? resolve(repoRoot, '../shared/data/synthea-100');
}

interface BundleJson {
  type?: string;
  entry?: Array<{ fullUrl?: string; resource?: AnyResource }>;
}

/**
 * Read, gunzip and parse the bundles (all, or the first `limit`), once.
 *
 * @example
 * ```ts
 * const data = loadSynthea(findSyntheaDir()!, { limit: 10 });
 * data.bundles[0].resources[0].resource.resourceType; // 'Organization'
 * ```
 */
export function loadSynthea(dir: string, options: { limit?: number } = {}): SyntheaData {
  const start = performance.now();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json.gz'))
    .sort((a, b) => Number(b.startsWith('0-')) - Number(a.startsWith('0-')) || a.localeCompare(b))
    .slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  const bundles = files.map((file) =>
    parseBundle(file, JSON.parse(gunzipSync(readFileSync(join(dir, file))).toString('utf8'))),
  );
  return {
    dir,
    bundles,
    resourceCount: bundles.reduce((n, b) => n + b.resources.length, 0),
    jsonBytes: bundles.reduce((n, b) => n + b.jsonBytes, 0),
    loadMs: performance.now() - start,
  };
}

function parseBundle(file: string, bundle: BundleJson): SyntheaBundle {
  const resources: SyntheaResource[] = [];
  let jsonBytes = 0;
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (!r) continue;
    const uuid = entry.fullUrl?.startsWith('urn:uuid:') ? entry.fullUrl.slice('urn:uuid:'.length) : undefined;
    const id = uuid ?? r.id;
    if (!id) throw new Error(`${file}: an entry has neither a urn:uuid fullUrl nor an id`);
    const resource = (r.id === id ? r : { ...r, id }) as AnyResource & { id: string };
    const bytes = Buffer.byteLength(JSON.stringify(resource));
    jsonBytes += bytes;
    resources.push({ resourceType: r.resourceType, id, resource, jsonBytes: bytes });
  }
  return { file, type: bundle.type ?? 'unknown', resources, jsonBytes };
}
