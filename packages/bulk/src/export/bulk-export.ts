/**
 * Bulk Data Access v2 export: kick-off (`[base]/$export`,
 * `[base]/Patient/$export`, `[base]/Group/[id]/$export`, GET or POST),
 * status polling and cancellation (`[base]/$export-status?_jobId=…`, GET and
 * DELETE) and file download (`[base]/$export-file?_jobId=…&_file=…`), all as
 * operation handlers for `createFhirServer({ operations })`.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AccessPolicy,
  FhirError,
  type FhirResponse,
  type OperationHandler,
  patientCompartmentTypes,
  type RequestContext,
  type ResourceStore,
  resourceTypes,
  type SearchEngine,
} from '@fhirstream/core';
import { type MembershipOptions, membershipExtractor } from '../compartment/membership.js';
import { JobStore } from '../jobs/job-store.js';
import { RunningJobs } from '../jobs/running-jobs.js';
import { singleParam } from '../operation/parameters.js';
import type { OperationServices } from '../operation/services.js';
import { exportParams } from './export-request.js';
import { type ExportJob, runExport } from './export-runner.js';

/** Options of {@link bulkExport}. */
export interface BulkExportOptions {
  store: ResourceStore;
  /** Directory of the export files (one sub-directory per job). */
  directory: string;
  /** Exports running at once; a kick-off beyond it answers 429 (default 2). */
  maxConcurrent?: number;
  /** Lines per ndjson file before a new one is started (default 100,000). */
  maxLinesPerFile?: number;
  /** `requiresAccessToken` in the manifest (default false). */
  requiresAccessToken?: boolean;
  /** Access checks for jobs resumed after a restart (default: the server's, once a request has been seen). */
  access?: AccessPolicy;
  /** Search engine for `_typeFilter` (default: the server's). Without one, `_typeFilter` answers 400. */
  search?: SearchEngine;
  /** Must match the compartment index's membership options (registry, local base URLs). */
  membership?: MembershipOptions;
  /** `Retry-After` seconds while a job runs (default 2). */
  retryAfterSeconds?: number;
  /** Test hook: called before each type of a job. */
  beforeType?: (job: ExportJob, type: string) => Promise<void> | void;
}

/** The export operations and job control. */
export interface BulkExport {
  /** `$export`, `$export-status`, `$export-file`. */
  readonly operations: OperationHandler[];
  /** Resume jobs that were running when the process stopped (also done on the first bulk request). */
  resume(): Promise<void>;
  /** Resolves when the job is no longer running here (for tests and shutdown). */
  settled(jobId: string): Promise<void>;
  /** Stop running jobs (they stay `running` on disk and resume on the next start). */
  close(): Promise<void>;
}

const FILE_NAME = /^(deleted-)?[A-Z][A-Za-z]+\.\d+\.ndjson$/;

/**
 * Create the Bulk Data export.
 *
 * @example
 * ```ts
 * const exports = bulkExport({ store, directory: './.data/exports' });
 * const server = await createFhirServer({ store, operations: [...exports.operations] });
 * // GET [base]/$export with Prefer: respond-async -> 202, Content-Location: [base]/$export-status?_jobId=…
 * ```
 */
export function bulkExport(options: BulkExportOptions): BulkExport {
  const { store } = options;
  const jobs = new JobStore<ExportJob>(store.checkpoints, 'export');
  const facts = membershipExtractor(options.membership);
  const maxConcurrent = options.maxConcurrent ?? 2;
  const maxLinesPerFile = options.maxLinesPerFile ?? 100_000;
  const retryAfter = String(options.retryAfterSeconds ?? 2);
  const running = new RunningJobs(jobs);
  let services: OperationServices | undefined;
  let resumed: Promise<void> | undefined;

  const jobDir = (id: string) => join(options.directory, id);

  const start = (job: ExportJob) => {
    const canRead =
      options.access?.canRead ??
      (services
        ? (c: RequestContext, r: Parameters<OperationServices['canRead']>[1]) => services!.canRead(c, r)
        : undefined);
    const search = options.search ?? services?.search;
    running.start(job, (signal) =>
      runExport(job, {
        store,
        dir: jobDir(job.id),
        maxLinesPerFile,
        facts,
        ...(canRead ? { canRead } : {}),
        ...(search ? { search } : {}),
        save: (j) => (signal.aborted ? Promise.resolve() : jobs.save(j)),
        signal,
        ...(options.beforeType ? { beforeType: options.beforeType } : {}),
      }),
    );
  };

  const resume = () => {
    resumed ??= running.resume(start);
    return resumed;
  };

  const kickOff: OperationHandler = {
    name: 'export',
    scope: { system: true, type: true, instance: true, types: ['Patient', 'Group'] },
    async handle(ctx, request, svc): Promise<FhirResponse> {
      services = svc;
      await resume();
      if (request.method !== 'GET' && request.method !== 'POST')
        throw new FhirError('method-not-allowed', `${request.method} is not allowed on $export`);
      if (request.type === 'Patient' && request.id)
        throw new FhirError('not-found', 'Patient/[id]/$export is not defined; use Group/[id]/$export');
      if (request.type === 'Group' && !request.id)
        throw new FhirError('not-found', 'Group/$export needs a Group id: Group/[id]/$export');
      if (!request.headers?.preferAsync)
        throw new FhirError('invalid', 'Bulk Data export requires the header Prefer: respond-async');
      const params = exportParams(
        request.operationParams,
        request.method === 'POST' ? request.body : undefined,
        request.headers.preferHandling,
      );
      if (params.typeFilters && !(options.search ?? svc.search))
        throw new FhirError('not-supported', '_typeFilter needs a search engine, and this server has none', {
          expression: ['_typeFilter'],
        });
      if (running.atWork() >= maxConcurrent) {
        const e = new FhirError(
          'too-many-requests',
          `At most ${maxConcurrent} exports run at once; retry later`,
        );
        return { status: 429, resource: e.outcome, headers: { 'Retry-After': '10' } };
      }
      const level = !request.type ? 'system' : request.type === 'Patient' ? 'patient' : 'group';
      const seq = await store.headSeq();
      const transactionTime =
        seq > 0
          ? ((await store.readChanges(seq, 1))[0]?.lastUpdated ?? new Date().toISOString())
          : new Date().toISOString();
      let patients = params.patients;
      if (level === 'group') {
        const members = await groupMembers(store, request.id!, seq);
        if (!members) throw new FhirError('not-found', `Group/${request.id} is not known`);
        const group = await store.read('Group', request.id!);
        if (group && !(await svc.canRead(ctx, group)))
          throw new FhirError('not-found', `Group/${request.id} is not known`);
        patients = patients ? patients.filter((p) => members.includes(p)) : members;
      }
      const compartment = new Set([...patientCompartmentTypes(), 'Patient']);
      const candidates = level === 'system' ? resourceTypes() : [...compartment].sort();
      const types = params.types
        ? params.types.filter((t) => level === 'system' || compartment.has(t))
        : [...candidates];
      const job: ExportJob = {
        seq,
        id: randomUUID(),
        kind: 'export',
        status: 'running',
        request: requestUrl(request),
        transactionTime,
        baseUrl: request.baseUrl,
        caller: {
          ...(ctx.identity ? { identity: ctx.identity } : {}),
          ...(ctx.scopes ? { scopes: [...ctx.scopes] } : {}),
          ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
        },
        level,
        ...(request.id ? { groupId: request.id } : {}),
        ...(patients ? { patients } : {}),
        types: await typesWithData(store, types, seq),
        ...(params.since ? { since: params.since } : {}),
        ...(params.elements ? { elements: params.elements } : {}),
        ...(params.typeFilters ? { typeFilters: params.typeFilters } : {}),
        done: [],
        output: [],
        deleted: [],
        error: [],
        progress: 'queued',
      };
      await jobs.save(job);
      start(job);
      return {
        status: 202,
        headers: { 'Content-Location': `${request.baseUrl}/$export-status?_jobId=${job.id}` },
        outcome: {
          resourceType: 'OperationOutcome',
          issue: [
            { severity: 'information', code: 'informational', diagnostics: `Export ${job.id} started` },
          ],
        },
      };
    },
  };

  const status: OperationHandler = {
    name: 'export-status',
    scope: { system: true },
    async handle(ctx, request, svc) {
      services = svc;
      await resume();
      const id = singleParam(request.operationParams, '_jobId');
      const job = id ? await jobs.get(id) : undefined;
      if (!job || !sameCaller(job, ctx)) throw new FhirError('not-found', `No export job ${id ?? ''}`);
      if (request.method === 'DELETE') {
        await running.cancel(job.id);
        await jobs.delete(job.id);
        await rm(jobDir(job.id), { recursive: true, force: true });
        return { status: 202, outcome: info(`Export ${job.id} was cancelled and its files deleted`) };
      }
      if (request.method !== 'GET')
        throw new FhirError('method-not-allowed', `${request.method} is not allowed here`);
      if (job.status === 'running')
        return {
          status: 202,
          headers: { 'X-Progress': job.progress ?? 'running', 'Retry-After': retryAfter },
        };
      if (job.status === 'failed')
        throw new FhirError('internal', `Export ${job.id} failed: ${job.failure}`, { status: 500 });
      const file = (name: string) =>
        `${job.baseUrl}/$export-file?_jobId=${job.id}&_file=${encodeURIComponent(name)}`;
      const manifest = {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: options.requiresAccessToken ?? false,
        output: job.output.map((o) => ({ type: o.type, url: file(o.file), count: o.count })),
        deleted: job.deleted.map((o) => ({ type: o.type, url: file(o.file), count: o.count })),
        error: job.error.map((o) => ({ type: o.type, url: file(o.file), count: o.count })),
      };
      return {
        status: 200,
        raw: { contentType: 'application/json', body: JSON.stringify(manifest) },
      } satisfies FhirResponse;
    },
  };

  const download: OperationHandler = {
    name: 'export-file',
    scope: { system: true },
    async handle(ctx, request) {
      if (request.method !== 'GET')
        throw new FhirError('method-not-allowed', `${request.method} is not allowed here`);
      const id = singleParam(request.operationParams, '_jobId');
      const name = singleParam(request.operationParams, '_file');
      const job = id ? await jobs.get(id) : undefined;
      if (!job || !sameCaller(job, ctx) || job.status !== 'completed' || !name || !FILE_NAME.test(name))
        throw new FhirError('not-found', 'No such export file');
      const listed = [...job.output, ...job.deleted, ...job.error].some((o) => o.file === name);
      if (!listed) throw new FhirError('not-found', 'No such export file');
      const body = await readFile(join(jobDir(job.id), name));
      return { status: 200, raw: { contentType: 'application/fhir+ndjson', body } };
    },
  };

  return {
    operations: [kickOff, status, download],
    resume,
    settled: (jobId) => running.settled(jobId),
    close: () => running.close(),
  };
}

/** The patient ids of a Group's `member.entity` as of seq S (undefined when the Group did not exist then). */
async function groupMembers(store: ResourceStore, id: string, seq: number): Promise<string[] | undefined> {
  for await (const v of store.history({ resourceType: 'Group', id, before: seq + 1, count: 1 })) {
    if (v.deleted) return undefined;
    const members = (v.resource as { member?: Array<{ entity?: { reference?: string } }> }).member ?? [];
    const ids = new Set<string>();
    for (const m of members) {
      const match = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(m.entity?.reference ?? '');
      if (match) ids.add(match[1]!);
    }
    return [...ids].sort();
  }
  return undefined;
}

/** The types among `types` that had at least one version as of S. */
async function typesWithData(store: ResourceStore, types: readonly string[], seq: number): Promise<string[]> {
  const out: string[] = [];
  for (const type of types) {
    for await (const _ of store.history({ resourceType: type, before: seq + 1, count: 1 })) {
      out.push(type);
      break;
    }
  }
  return out;
}

function requestUrl(request: { baseUrl: string; path: string; params: Array<[string, string]> }): string {
  const query = new URLSearchParams(request.params).toString();
  return `${request.baseUrl}/${request.path}${query ? `?${query}` : ''}`;
}

/** A job is visible to whoever kicked it off (same subject, or both anonymous). */
function sameCaller(job: ExportJob | { caller: ExportJob['caller'] }, ctx: RequestContext): boolean {
  return (job.caller.identity?.subject ?? null) === (ctx.identity?.subject ?? null);
}

function info(diagnostics: string) {
  return {
    resourceType: 'OperationOutcome' as const,
    issue: [{ severity: 'information' as const, code: 'informational' as const, diagnostics }],
  };
}
