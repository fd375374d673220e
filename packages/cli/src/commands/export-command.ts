/**
 * `fhirstream export [--type …] [--since …] <dir>`: write the embedded store
 * to ndjson files (`<Type>.<n>.ndjson`) plus a `manifest.json`, consistent as
 * of the log head when the export starts — the same runner as `$export`.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExportJob, membershipExtractor, runExport } from '@fhirstream/bulk';
import { FhirError, isResourceType, parseDateRange, resourceTypes } from '@fhirstream/core';
import { openEmbedded } from '../embedded.js';
import { progressBar, rate } from '../progress.js';

/** Options of {@link exportData}. */
export interface ExportOptions {
  dataDir: string;
  outDir: string;
  types?: string[];
  /** FHIR date/instant: only resources changed since (deletes listed in `deleted-*.ndjson`). */
  since?: string;
  maxLinesPerFile?: number;
  quiet?: boolean;
}

/** What an export did. */
export interface ExportSummary {
  resources: number;
  bytes: number;
  files: number;
  byType: Record<string, number>;
  deleted: number;
  ms: number;
  transactionTime: string;
}

/**
 * Export the embedded store into `outDir`.
 *
 * @example
 * ```ts
 * const summary = await exportData({ dataDir: './.data', outDir: './export', types: ['Patient'] });
 * ```
 */
export async function exportData(options: ExportOptions): Promise<ExportSummary> {
  for (const t of options.types ?? [])
    if (!isResourceType(t)) throw new FhirError('invalid', `Unknown resource type: ${t}`);
  const since = options.since
    ? new Date(parseDateRange(options.since, '--since').low).toISOString()
    : undefined;
  mkdirSync(options.outDir, { recursive: true });
  const embedded = await openEmbedded(options.dataDir, { search: false });
  const bar = progressBar('types', options.quiet);
  try {
    const { store } = embedded;
    const seq = await store.headSeq();
    const transactionTime =
      seq > 0
        ? ((await store.readChanges(seq, 1))[0]?.lastUpdated ?? new Date().toISOString())
        : new Date().toISOString();
    const candidates = options.types ?? resourceTypes();
    const types: string[] = [];
    for (const type of candidates)
      for await (const _ of store.history({ resourceType: type, before: seq + 1, count: 1 })) {
        types.push(type);
        break;
      }
    const job: ExportJob = {
      seq,
      id: 'cli',
      kind: 'export',
      status: 'running',
      request: `fhirstream export${options.types ? ` --type ${options.types.join(',')}` : ''}${since ? ` --since ${since}` : ''}`,
      transactionTime,
      baseUrl: '',
      caller: {},
      level: 'system',
      types,
      ...(since ? { since } : {}),
      done: [],
      output: [],
      deleted: [],
      error: [],
    };
    const t0 = performance.now();
    let finished = 0;
    bar.start(types.length);
    await runExport(job, {
      store,
      dir: options.outDir,
      maxLinesPerFile: options.maxLinesPerFile ?? 1_000_000,
      facts: membershipExtractor(),
      save: async (j) => {
        finished += j.output
          .filter((o) => o.type === j.done[j.done.length - 1])
          .reduce((n, o) => n + o.count, 0);
        bar.update(j.done.length, {
          resources: finished,
          rate: rate(finished, performance.now() - t0),
          item: j.done[j.done.length - 1] ?? '',
        });
      },
      signal: new AbortController().signal,
      onProgress: (_j, type, written) =>
        bar.update(job.done.length, {
          resources: finished + written,
          rate: rate(finished + written, performance.now() - t0),
          item: type,
        }),
    });
    const ms = performance.now() - t0;
    const manifest = {
      transactionTime,
      request: job.request,
      requiresAccessToken: false,
      output: job.output.map((o) => ({ type: o.type, url: o.file, count: o.count })),
      deleted: job.deleted.map((o) => ({ type: o.type, url: o.file, count: o.count })),
      error: [],
    };
    writeFileSync(join(options.outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const byType: Record<string, number> = {};
    let bytes = 0;
    for (const o of job.output) {
      byType[o.type] = (byType[o.type] ?? 0) + o.count;
      bytes += statSync(join(options.outDir, o.file)).size;
    }
    return {
      resources: job.output.reduce((n, o) => n + o.count, 0),
      bytes,
      files: job.output.length,
      byType,
      deleted: job.deleted.reduce((n, o) => n + o.count, 0),
      ms,
      transactionTime,
    };
  } finally {
    bar.stop();
    await embedded.close();
  }
}

/**
 * The summary as printed at the end.
 *
 * @example
 * ```ts
 * console.log(formatExportSummary(summary));
 * ```
 */
export function formatExportSummary(s: ExportSummary): string {
  const mb = s.bytes / 1e6;
  return [
    `Exported ${s.resources} resources (${mb.toFixed(1)} MB in ${s.files} file(s)) as of ${s.transactionTime} in ${(s.ms / 1000).toFixed(2)} s: ${rate(s.resources, s.ms)} resources/s, ${(mb / (s.ms / 1000)).toFixed(1)} MB/s`,
    ...Object.entries(s.byType)
      .sort((a, b) => b[1] - a[1])
      .map(([type, n]) => `  ${type.padEnd(28)} ${n}`),
    ...(s.deleted ? [`Deleted (listed): ${s.deleted}`] : []),
  ].join('\n');
}
