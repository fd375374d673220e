/**
 * `$import` (Bulk Data import draft): asynchronous, with the export's polling
 * pattern: kick-off `POST [base]/$import` (`Prefer: respond-async`) answers
 * 202 with `Content-Location: [base]/$import-status?_jobId=…`; the status
 * answers 202 (`X-Progress`) while running and 200 with a manifest when done;
 * DELETE cancels; error ndjson files are served by `$import-file`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FhirError, type FhirResponse, type OperationHandler, type ResourceStore } from '@fhirstream/core';
import { JobStore } from '../jobs/job-store.js';
import { RunningJobs } from '../jobs/running-jobs.js';
import { singleParam } from '../operation/parameters.js';
import type { OperationServices } from '../operation/services.js';
import { importInputs } from './import-manifest.js';
import { type ImportJob, runImport } from './import-runner.js';

/** Options of {@link bulkImport}. */
export interface BulkImportOptions {
  store: ResourceStore;
  /** Directory of the job files (inline inputs, error files). */
  directory: string;
  /** Directories whose files may be imported (default none: only inline data). */
  inputDirectories?: readonly string[];
  /** Resources per transaction Bundle (default 500). */
  chunkSize?: number;
  /** Imports running at once; a kick-off beyond it answers 429 (default 1). */
  maxConcurrent?: number;
  /** `Retry-After` seconds while a job runs (default 2). */
  retryAfterSeconds?: number;
  /** Per-resource validation (default: core's structural validator); return the problems found. */
  validate?: (resource: unknown, type?: string) => string[];
}

/** The import operations and job control. */
export interface BulkImport {
  /** `$import`, `$import-status`, `$import-file`. */
  readonly operations: OperationHandler[];
  resume(): Promise<void>;
  settled(jobId: string): Promise<void>;
  close(): Promise<void>;
}

const ERROR_FILE = /^errors-\d+\.ndjson$/;

/**
 * Create the `$import` operations.
 *
 * @example
 * ```ts
 * const imports = bulkImport({ store, directory: './.data/imports', inputDirectories: ['/srv/incoming'] });
 * const server = await createFhirServer({ store, operations: imports.operations });
 * ```
 */
export function bulkImport(options: BulkImportOptions): BulkImport {
  const jobs = new JobStore<ImportJob>(options.store.checkpoints, 'import');
  const running = new RunningJobs(jobs);
  const maxConcurrent = options.maxConcurrent ?? 1;
  let services: OperationServices | undefined;
  let resumed: Promise<void> | undefined;
  const jobDir = (id: string) => join(options.directory, id);

  const start = (job: ImportJob) => {
    if (!services) return;
    const svc = services;
    running.start(job, (signal) =>
      runImport(job, {
        handle: (ctx, request) => svc.handle(ctx, request),
        dir: jobDir(job.id),
        chunkSize: options.chunkSize ?? 500,
        ...(options.validate ? { validate: options.validate } : {}),
        save: (j) => (signal.aborted ? Promise.resolve() : jobs.save(j)),
        signal,
      }),
    );
  };

  const resume = () => {
    resumed ??= running.resume(start);
    return resumed;
  };

  const kickOff: OperationHandler = {
    name: 'import',
    scope: { system: true },
    async handle(ctx, request, svc): Promise<FhirResponse> {
      services = svc;
      await resume();
      if (request.method !== 'POST') throw new FhirError('method-not-allowed', '$import takes POST');
      if (!request.headers?.preferAsync)
        throw new FhirError('invalid', '$import requires the header Prefer: respond-async');
      const inputs = importInputs(request.body, options.inputDirectories ?? []);
      if (running.atWork() >= maxConcurrent) {
        const e = new FhirError(
          'too-many-requests',
          `At most ${maxConcurrent} imports run at once; retry later`,
        );
        return { status: 429, resource: e.outcome, headers: { 'Retry-After': '10' } };
      }
      const id = randomUUID();
      await mkdir(jobDir(id), { recursive: true });
      const states = [];
      for (let i = 0; i < inputs.length; i++) {
        const { data, ...input } = inputs[i]!;
        if (data !== undefined) await writeFile(join(jobDir(id), `input-${i + 1}.ndjson`), data);
        states.push({ ...input, line: 0, imported: 0, errors: 0 });
      }
      const job: ImportJob = {
        seq: await options.store.headSeq(),
        id,
        kind: 'import',
        status: 'running',
        request: `${request.baseUrl}/$import`,
        transactionTime: new Date().toISOString(),
        baseUrl: request.baseUrl,
        caller: {
          ...(ctx.identity ? { identity: ctx.identity } : {}),
          ...(ctx.scopes ? { scopes: [...ctx.scopes] } : {}),
          ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
        },
        inputs: states,
        progress: 'queued',
      };
      await jobs.save(job);
      start(job);
      return {
        status: 202,
        headers: { 'Content-Location': `${request.baseUrl}/$import-status?_jobId=${id}` },
        outcome: {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'information', code: 'informational', diagnostics: `Import ${id} started` }],
        },
      };
    },
  };

  const status: OperationHandler = {
    name: 'import-status',
    scope: { system: true },
    async handle(ctx, request, svc): Promise<FhirResponse> {
      services = svc;
      await resume();
      const id = singleParam(request.operationParams, '_jobId');
      const job = id ? await jobs.get(id) : undefined;
      if (!job || (job.caller.identity?.subject ?? null) !== (ctx.identity?.subject ?? null))
        throw new FhirError('not-found', `No import job ${id ?? ''}`);
      if (request.method === 'DELETE') {
        await running.cancel(job.id);
        await jobs.delete(job.id);
        await rm(jobDir(job.id), { recursive: true, force: true });
        return {
          status: 202,
          outcome: {
            resourceType: 'OperationOutcome',
            issue: [
              {
                severity: 'information',
                code: 'informational',
                diagnostics: `Import ${job.id} was cancelled (resources already committed stay)`,
              },
            ],
          },
        };
      }
      if (job.status === 'running')
        return {
          status: 202,
          headers: {
            'X-Progress': job.progress ?? 'running',
            'Retry-After': String(options.retryAfterSeconds ?? 2),
          },
        };
      if (job.status === 'failed')
        throw new FhirError('internal', `Import ${job.id} failed: ${job.failure}`, { status: 500 });
      const manifest = {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: false,
        output: job.inputs.map((i) => ({
          ...(i.type ? { type: i.type } : {}),
          inputUrl: i.url,
          count: i.imported,
        })),
        error: job.inputs
          .filter((i) => i.errorFile)
          .map((i) => ({
            type: 'OperationOutcome',
            inputUrl: i.url,
            count: i.errors,
            url: `${job.baseUrl}/$import-file?_jobId=${job.id}&_file=${i.errorFile}`,
          })),
      };
      return { status: 200, raw: { contentType: 'application/json', body: JSON.stringify(manifest) } };
    },
  };

  const download: OperationHandler = {
    name: 'import-file',
    scope: { system: true },
    async handle(ctx, request): Promise<FhirResponse> {
      const id = singleParam(request.operationParams, '_jobId');
      const name = singleParam(request.operationParams, '_file');
      const job = id ? await jobs.get(id) : undefined;
      if (
        !job ||
        !name ||
        !ERROR_FILE.test(name) ||
        (job.caller.identity?.subject ?? null) !== (ctx.identity?.subject ?? null)
      )
        throw new FhirError('not-found', 'No such import file');
      if (!job.inputs.some((i) => i.errorFile === name))
        throw new FhirError('not-found', 'No such import file');
      return {
        status: 200,
        raw: { contentType: 'application/fhir+ndjson', body: await readFile(join(jobDir(job.id), name)) },
      };
    },
  };

  return {
    operations: [kickOff, status, download],
    resume,
    settled: (jobId) => running.settled(jobId),
    close: () => running.close(),
  };
}
