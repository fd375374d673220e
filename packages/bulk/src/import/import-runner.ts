/**
 * Running one import job: each input's ndjson lines are parsed and validated
 * one by one (invalid lines become OperationOutcomes in an error ndjson), and
 * the valid resources are committed in chunks as transaction Bundles through
 * the server (the same commit path, access checks and change events as every
 * other write). A chunk the server refuses as a whole is retried as a batch,
 * so that only the entries at fault are reported. Progress (lines done per
 * input) is saved after each chunk; a restarted job resumes there.
 */
import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type AnyResource,
  FhirError,
  type FhirRequest,
  type FhirResponse,
  type RequestContext,
  validateResource,
} from '@fhirstream/core';
import { callerContext } from '../export/export-runner.js';
import type { JobRecord } from '../jobs/job-store.js';
import type { ImportInput } from './import-manifest.js';

/** Progress of one input. */
export interface ImportInputState extends ImportInput {
  /** Lines consumed (committed or reported). */
  line: number;
  imported: number;
  errors: number;
  /** Error ndjson file name, once there is an error. */
  errorFile?: string;
  done?: boolean;
}

/** A persisted import job. */
export interface ImportJob extends JobRecord {
  kind: 'import';
  inputs: ImportInputState[];
}

/** What a run needs. */
export interface ImportRunDeps {
  /** The server's `handle` (for transaction and batch Bundles). */
  handle: (ctx: RequestContext, request: FhirRequest) => Promise<FhirResponse>;
  dir: string;
  chunkSize: number;
  /** Validate a resource (default: core's structural validator). Return issues' messages. */
  validate?: (resource: unknown, type?: string) => string[];
  save: (job: ImportJob) => Promise<void>;
  signal: AbortSignal;
  onProgress?: (job: ImportJob) => void;
}

interface Pending {
  line: number;
  resource: AnyResource;
}

const defaultValidate = (resource: unknown, type?: string): string[] =>
  validateResource(resource, type ? { resourceType: type } : {}).map(
    (i) => `${i.expression.join(', ')}: ${i.diagnostics}`,
  );

/** Run (or resume) an import to completion. */
export async function runImport(job: ImportJob, deps: ImportRunDeps): Promise<ImportJob> {
  await mkdir(deps.dir, { recursive: true });
  const ctx = callerContext(job);
  const validate = deps.validate ?? defaultValidate;
  for (let i = 0; i < job.inputs.length; i++) {
    const input = job.inputs[i]!;
    if (input.done) continue;
    const source = input.path ?? join(deps.dir, `input-${i + 1}.ndjson`);
    const errors: string[] = [];
    const report = (line: number, message: string) => {
      input.errors++;
      errors.push(JSON.stringify(outcome(`${input.url} line ${line}: ${message}`)));
    };
    const flushErrors = async () => {
      if (errors.length === 0) return;
      input.errorFile ??= `errors-${i + 1}.ndjson`;
      await appendFile(join(deps.dir, input.errorFile), `${errors.join('\n')}\n`);
      errors.length = 0;
    };
    let chunk: Pending[] = [];
    const commit = async (lastLine: number) => {
      deps.signal.throwIfAborted();
      if (chunk.length > 0) {
        const failures = await commitChunk(deps, ctx, chunk);
        input.imported += chunk.length - failures.size;
        for (const [line, message] of failures) report(line, message);
      }
      chunk = [];
      input.line = lastLine;
      await flushErrors();
      deps.onProgress?.(job);
      job.progress = `${i}/${job.inputs.length} inputs, ${input.line} lines of ${input.url}`;
      await deps.save(job);
    };
    let lineNo = 0;
    const lines = createInterface({ input: createReadStream(source), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const text of lines) {
      lineNo++;
      if (lineNo <= input.line) continue;
      if (text.trim() === '') continue;
      let resource: AnyResource;
      try {
        resource = JSON.parse(text) as AnyResource;
      } catch (error) {
        report(lineNo, `not valid JSON (${(error as Error).message})`);
        continue;
      }
      const issues = validate(resource, input.type);
      if (issues.length > 0) {
        report(lineNo, issues.join('; '));
        continue;
      }
      chunk.push({ line: lineNo, resource });
      if (chunk.length >= deps.chunkSize) await commit(lineNo);
    }
    await commit(lineNo);
    input.done = true;
  }
  job.status = 'completed';
  job.progress = 'completed';
  await deps.save(job);
  return job;
}

/**
 * Commit resources as one transaction Bundle through `handle` (PUT with an id,
 * POST without); when the server refuses it as a whole (4xx), as a batch, so
 * that only the entries at fault fail. Returns the failed lines and why.
 *
 * @example
 * ```ts
 * const failed = await commitResources(server.handle, requestContext(), [{ line: 1, resource: patient }]);
 * ```
 */
export async function commitResources(
  handle: ImportRunDeps['handle'],
  ctx: RequestContext,
  chunk: ReadonlyArray<{ line: number; resource: AnyResource }>,
): Promise<Map<number, string>> {
  return commitChunk({ handle }, ctx, chunk as Pending[]);
}

async function commitChunk(
  deps: Pick<ImportRunDeps, 'handle'>,
  ctx: RequestContext,
  chunk: Pending[],
): Promise<Map<number, string>> {
  const bundle = (type: 'transaction' | 'batch') => ({
    resourceType: 'Bundle',
    type,
    entry: chunk.map(({ resource }) => ({
      resource,
      request: resource.id
        ? { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }
        : { method: 'POST', url: resource.resourceType },
    })),
  });
  const request = (type: 'transaction' | 'batch'): FhirRequest => ({
    method: 'POST',
    path: '',
    params: [],
    body: bundle(type),
    baseUrl: 'urn:fhirstream:import',
    headers: { preferReturn: 'minimal' },
  });
  try {
    await deps.handle(ctx, request('transaction'));
    return new Map();
  } catch (error) {
    if (!FhirError.is(error) || error.status >= 500) throw error;
  }
  const failures = new Map<number, string>();
  const response = await deps.handle(ctx, request('batch'));
  const entries =
    (
      response.resource as {
        entry?: Array<{
          response?: { status?: string; outcome?: { issue?: Array<{ diagnostics?: string }> } };
        }>;
      }
    )?.entry ?? [];
  entries.forEach((e, i) => {
    const status = Number.parseInt(e.response?.status ?? '500', 10);
    if (status >= 400)
      failures.set(
        chunk[i]!.line,
        e.response?.outcome?.issue?.map((x) => x.diagnostics).join('; ') ?? `status ${status}`,
      );
  });
  return failures;
}

function outcome(diagnostics: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'processing', diagnostics }],
  };
}
