/**
 * `fhirstream import <dir | file.ndjson | bundle.json>`: load FHIR data into
 * the embedded store. Bundles (`.json`, `.json.gz`) go through the FHIR
 * server as transactions/batches (so `urn:uuid` and conditional references
 * resolve, with the search engine); ndjson (`.ndjson`, `.ndjson.gz`) is
 * validated line by line and committed in chunks as updates (with an id) or
 * creates (without).
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import { commitResources, directBundleLoader } from '@fhirstream/bulk';
import { type AnyResource, FhirError, requestContext, validateResource } from '@fhirstream/core';
import { type Embedded, openEmbedded } from '../embedded.js';
import { progressBar, rate } from '../progress.js';

/** Options of {@link importData}. */
export interface ImportOptions {
  /** A directory (all `.json`, `.json.gz`, `.ndjson`, `.ndjson.gz` files in name order), or one file. */
  source: string;
  dataDir: string;
  /** Resources per commit for ndjson (default 500). */
  chunkSize?: number;
  /** Load Bundles straight into the store (no search engine; references resolved by the loader). */
  direct?: boolean;
  quiet?: boolean;
}

/** What an import did. */
export interface ImportSummary {
  files: number;
  resources: number;
  byType: Record<string, number>;
  errors: Array<{ file: string; message: string }>;
  /** Wall time of loading, and of loading plus indexing (projectors caught up). */
  ms: number;
  indexedMs: number;
}

const PATTERN = /\.(json|ndjson)(\.gz)?$/;
const BASE_URL = 'urn:fhirstream:cli';

/**
 * Import files into the embedded store.
 *
 * @example
 * ```ts
 * const summary = await importData({ source: './synthea', dataDir: './.data' });
 * console.log(summary.resources, summary.errors.length);
 * ```
 */
export async function importData(options: ImportOptions): Promise<ImportSummary> {
  const files = listFiles(options.source);
  const embedded = await openEmbedded(options.dataDir, { search: !options.direct });
  const summary: ImportSummary = {
    files: files.length,
    resources: 0,
    byType: {},
    errors: [],
    ms: 0,
    indexedMs: 0,
  };
  const bar = progressBar('files', options.quiet);
  const t0 = performance.now();
  const tick = (i: number, item: string) =>
    bar.update(i, {
      resources: summary.resources,
      rate: rate(summary.resources, performance.now() - t0),
      item,
    });
  const loader = directBundleLoader(embedded.store);
  bar.start(files.length);
  try {
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      tick(i, basename(file));
      try {
        if (/\.ndjson(\.gz)?$/.test(file))
          await importNdjson(embedded, file, options.chunkSize ?? 500, summary, () =>
            tick(i, basename(file)),
          );
        else {
          const json = JSON.parse(
            (file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file)).toString('utf8'),
          );
          if (options.direct && json.resourceType === 'Bundle') {
            const r = await loader.load(json);
            countTypes(
              summary,
              json.entry?.map((e: { resource?: AnyResource }) => e.resource).filter(Boolean) ?? [],
              r.written,
            );
            for (const u of r.unresolved.slice(0, 3))
              summary.errors.push({ file, message: `unresolved reference ${u}` });
          } else await importJson(embedded, file, json, summary);
        }
      } catch (error) {
        summary.errors.push({ file, message: FhirError.is(error) ? error.message : String(error) });
      }
      tick(i + 1, basename(file));
    }
    summary.ms = performance.now() - t0;
    bar.update(files.length, { item: 'indexing…' });
    await embedded.settle();
    summary.indexedMs = performance.now() - t0;
  } finally {
    bar.stop();
    await embedded.close();
  }
  return summary;
}

function listFiles(source: string): string[] {
  if (!statSync(source).isDirectory()) return [source];
  return readdirSync(source)
    .filter((n) => PATTERN.test(n))
    .sort()
    .map((n) => join(source, n));
}

function countTypes(summary: ImportSummary, resources: AnyResource[], written = resources.length): void {
  summary.resources += written;
  for (const r of resources) summary.byType[r.resourceType] = (summary.byType[r.resourceType] ?? 0) + 1;
}

async function importJson(
  embedded: Embedded,
  file: string,
  json: AnyResource,
  summary: ImportSummary,
): Promise<void> {
  const ctx = requestContext();
  const bundle = json as { resourceType: string; type?: string; entry?: Array<{ resource?: AnyResource }> };
  if (bundle.resourceType === 'Bundle' && (bundle.type === 'transaction' || bundle.type === 'batch')) {
    const response = await embedded.server.handle(ctx, {
      method: 'POST',
      path: '',
      params: [],
      body: bundle,
      baseUrl: BASE_URL,
    });
    const results =
      (response.resource as { entry?: Array<{ response?: { status?: string; outcome?: unknown } }> }).entry ??
      [];
    const ok: AnyResource[] = [];
    results.forEach((r, i) => {
      const status = Number.parseInt(r.response?.status ?? '0', 10);
      const resource = bundle.entry?.[i]?.resource;
      if (status >= 400)
        summary.errors.push({
          file,
          message: `entry ${i}: ${JSON.stringify(r.response?.outcome ?? r.response)}`,
        });
      else if (resource) ok.push(resource); // 200 from a conditional create that matched counts as loaded
    });
    countTypes(summary, ok);
    return;
  }
  const failed = await commitResources(embedded.server.handle, ctx, [{ line: 1, resource: json }]);
  if (failed.size > 0) summary.errors.push({ file, message: [...failed.values()].join('; ') });
  else countTypes(summary, [json]);
}

async function importNdjson(
  embedded: Embedded,
  file: string,
  chunkSize: number,
  summary: ImportSummary,
  progress: () => void,
): Promise<void> {
  const ctx = requestContext();
  const stream = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  let chunk: Array<{ line: number; resource: AnyResource }> = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const failed = await commitResources(embedded.server.handle, ctx, chunk);
    for (const [line, message] of failed) summary.errors.push({ file, message: `line ${line}: ${message}` });
    countTypes(
      summary,
      chunk.filter((c) => !failed.has(c.line)).map((c) => c.resource),
    );
    chunk = [];
    progress();
  };
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() === '') continue;
    let resource: AnyResource;
    try {
      resource = JSON.parse(text) as AnyResource;
    } catch (error) {
      summary.errors.push({ file, message: `line ${line}: not valid JSON (${(error as Error).message})` });
      continue;
    }
    const issues = validateResource(resource);
    if (issues.length > 0) {
      summary.errors.push({
        file,
        message: `line ${line}: ${issues.map((i) => `${i.expression.join(', ')}: ${i.diagnostics}`).join('; ')}`,
      });
      continue;
    }
    chunk.push({ line, resource });
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
}

/**
 * The summary as printed at the end.
 *
 * @example
 * ```ts
 * console.log(formatImportSummary(summary));
 * ```
 */
export function formatImportSummary(s: ImportSummary): string {
  const lines = [
    `Imported ${s.resources} resources from ${s.files} file(s) in ${(s.ms / 1000).toFixed(1)} s (${rate(s.resources, s.ms)} resources/s); indexed after ${(s.indexedMs / 1000).toFixed(1)} s (${rate(s.resources, s.indexedMs)} resources/s)`,
    ...Object.entries(s.byType)
      .sort((a, b) => b[1] - a[1])
      .map(([type, n]) => `  ${type.padEnd(28)} ${n}`),
    `Errors: ${s.errors.length}`,
    ...s.errors.slice(0, 20).map((e) => `  ${basename(e.file)}: ${e.message}`),
  ];
  if (s.errors.length > 20) lines.push(`  … and ${s.errors.length - 20} more`);
  return lines.join('\n');
}
