/**
 * Running one export job: per type, the versions as of the job's seq S (the
 * newest version with seq <= S of each resource, from type history), never
 * the moving current state; written as ndjson files split at a maximum number
 * of lines. Progress is saved after each type, so a job resumes after a
 * restart at the first unfinished type.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import {
  type AnyResource,
  applyRepresentation,
  type RequestContext,
  type ResourceStore,
  type SearchEngine,
  type SearchParams,
  type StoredResource,
} from '@fhirstream/core';
import type { MembershipFacts } from '../compartment/membership.js';
import type { JobRecord } from '../jobs/job-store.js';
import { NdjsonWriter } from '../jobs/ndjson-files.js';

/** A persisted export job. `seq` is S, the log head at kick-off. */
export interface ExportJob extends JobRecord {
  kind: 'export';
  level: 'system' | 'patient' | 'group';
  groupId?: string;
  /** Patients whose compartments are exported (group, or `patient`); absent = all patients (patient level). */
  patients?: string[];
  types: string[];
  since?: string;
  elements?: Record<string, string[]>;
  typeFilters?: Record<string, SearchParams[]>;
  /** Types finished. */
  done: string[];
  output: Array<{ type: string; file: string; count: number }>;
  deleted: Array<{ type: 'Bundle'; file: string; count: number }>;
  error: Array<{ type: 'OperationOutcome'; file: string; count: number }>;
}

/** What a run needs. */
export interface ExportRunDeps {
  store: ResourceStore;
  /** Job directory (created). */
  dir: string;
  maxLinesPerFile: number;
  facts: (resource: object) => MembershipFacts;
  canRead?: (ctx: RequestContext, resource: StoredResource) => boolean | Promise<boolean>;
  search?: SearchEngine;
  /** Save the job (after each type). */
  save: (job: ExportJob) => Promise<void>;
  signal: AbortSignal;
  /** Test hook: called before each type. */
  beforeType?: (job: ExportJob, type: string) => Promise<void> | void;
  /** Progress callback (resources written so far in this run). */
  onProgress?: (job: ExportJob, type: string, written: number) => void;
}

/** Run (or resume) `job` to completion; resolves with the completed job. Throws on abort. */
export async function runExport(job: ExportJob, deps: ExportRunDeps): Promise<ExportJob> {
  await mkdir(deps.dir, { recursive: true });
  const ctx = callerContext(job);
  const patientSet = job.patients ? new Set(job.patients) : undefined;
  for (const type of job.types) {
    if (job.done.includes(type)) continue;
    deps.signal.throwIfAborted();
    await deps.beforeType?.(job, type);
    deps.signal.throwIfAborted();
    await removeFiles(deps.dir, [`${type}.`, `deleted-${type}.`]);
    const ids = await typeFilterIds(job, type, ctx, deps.search);
    const writer = new NdjsonWriter(deps.dir, type, deps.maxLinesPerFile);
    const deletedWriter = new NdjsonWriter(deps.dir, `deleted-${type}`, deps.maxLinesPerFile);
    const elements = job.elements ? [...(job.elements['*'] ?? []), ...(job.elements[type] ?? [])] : [];
    const seen = new Set<string>();
    let scanned = 0;
    for await (const v of deps.store.history({
      resourceType: type,
      before: job.seq + 1,
      ...(job.since ? { since: job.since } : {}),
    })) {
      if (seen.has(v.id)) continue;
      seen.add(v.id);
      if (++scanned % 2000 === 0) {
        deps.signal.throwIfAborted();
        deps.onProgress?.(job, type, writer.count);
      }
      if (v.deleted) {
        if (job.since) await deletedWriter.write(JSON.stringify(deleteBundle(type, v.id)));
        continue;
      }
      if (ids && !ids.has(v.id)) continue;
      if (job.level !== 'system' && !inScope(v, patientSet, deps.facts)) continue;
      if (deps.canRead && !(await deps.canRead(ctx, v))) continue;
      await writer.write(
        elements.length > 0 ? JSON.stringify(applyRepresentation(v.resource!, { elements })) : v.body!,
      );
    }
    for (const f of await writer.close()) job.output.push({ type, file: f.name, count: f.count });
    for (const f of await deletedWriter.close())
      job.deleted.push({ type: 'Bundle', file: f.name, count: f.count });
    job.done.push(type);
    job.progress = `${job.done.length}/${job.types.length} types`;
    await deps.save(job);
  }
  job.status = 'completed';
  job.progress = 'completed';
  await deps.save(job);
  return job;
}

/** Whether a version belongs to the exported patients' compartments (patient and group level). */
function inScope(
  v: StoredResource,
  patients: ReadonlySet<string> | undefined,
  facts: (resource: object) => MembershipFacts,
): boolean {
  const owners = facts(v.resource! as AnyResource).patients;
  if (!patients) return owners.length > 0;
  return owners.some((p) => patients.has(p));
}

/** The ids of `type` matching any of the job's `_typeFilter` queries (undefined = no filter on this type). */
async function typeFilterIds(
  job: ExportJob,
  type: string,
  ctx: RequestContext,
  search: SearchEngine | undefined,
): Promise<Set<string> | undefined> {
  const filters = job.typeFilters?.[type];
  if (!filters || filters.length === 0) return undefined;
  if (!search) throw new Error('_typeFilter needs a search engine');
  const ids = new Set<string>();
  for (const query of filters) {
    let params: SearchParams | undefined = [...query, ['_count', '1000']];
    while (params) {
      const page = await search.search({ resourceType: type, params }, ctx);
      for (const m of page.matches) ids.add(m.id);
      params = page.next;
    }
  }
  return ids;
}

function deleteBundle(type: string, id: string) {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ request: { method: 'DELETE', url: `${type}/${id}` } }],
  };
}

/** The request context of the caller who kicked the job off. */
export function callerContext(job: JobRecord): RequestContext {
  return {
    requestId: `bulk-${job.id}`,
    ...(job.caller.identity ? { identity: job.caller.identity } : {}),
    ...(job.caller.scopes ? { scopes: job.caller.scopes } : {}),
    ...(job.caller.tenant ? { tenant: job.caller.tenant } : {}),
    consistency: 'eventual',
  };
}

async function removeFiles(dir: string, prefixes: string[]): Promise<void> {
  for (const name of await readdir(dir)) {
    if (prefixes.some((p) => name.startsWith(p))) await rm(`${dir}/${name}`, { force: true });
  }
}
