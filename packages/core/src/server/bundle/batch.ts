import type { Bundle, BundleEntry } from 'fhir/r4';
import type { RequestContext } from '../../context/request-context.js';
import type { ServerDeps } from '../server-context.js';
import type { FhirRequest, FhirResponse } from '../types.js';
import { type ConditionalCreateEntry, processConditionalCreates } from './conditional-create-batch.js';
import { entryRequest, statusLine } from './entry-request.js';
import { ReferenceResolver } from './references.js';
import { entryError, responseEntry } from './transaction.js';

/**
 * Process a `batch` Bundle: each entry stands alone, in order, with its own
 * status; a failing entry gets its OperationOutcome and the others go on.
 * Conditional references in an entry's resource are resolved.
 */
export async function processBatch(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  bundle: Bundle,
  handle: (ctx: RequestContext, request: FhirRequest) => Promise<FhirResponse>,
): Promise<FhirResponse> {
  const fast = createsOnly(request, bundle);
  if (fast) {
    const { entries, seq } = await processConditionalCreates(deps, ctx, request, fast);
    const resource: Bundle = { resourceType: 'Bundle', type: 'batch-response', entry: entries };
    return { status: 200, resource, ...(seq ? { seq } : {}) };
  }
  const entries: BundleEntry[] = [];
  let lastSeq: number | undefined;
  const references = new ReferenceResolver(deps, ctx, new Map());
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    try {
      const req = entryRequest(entry, index, request.baseUrl, request.headers ?? {});
      if (req.body && typeof req.body === 'object' && req.method !== 'PATCH')
        await references.rewrite(req.body);
      const response = await handle(
        { ...ctx, ...(lastSeq ? { minSeq: lastSeq } : {}) },
        {
          ...req,
          headers: {
            ...req.headers,
            ...(request.headers?.preferReturn ? { preferReturn: request.headers.preferReturn } : {}),
          },
        },
      );
      if (response.seq) lastSeq = response.seq;
      entries.push(responseEntry(req, response));
    } catch (error) {
      const e = entryError(index, error);
      if (e.status >= 500) console.error(error);
      entries.push({ response: { status: statusLine(e.status), outcome: e.outcome } });
    }
  }
  const resource: Bundle = { resourceType: 'Bundle', type: 'batch-response', entry: entries };
  return { status: 200, resource, ...(lastSeq ? { seq: lastSeq } : {}) };
}

/** The entries, when every one is a `POST [type]` create (with or without `ifNoneExist`) and there are at least two. */
function createsOnly(request: FhirRequest, bundle: Bundle): ConditionalCreateEntry[] | undefined {
  const entries = bundle.entry ?? [];
  if (entries.length < 2) return undefined;
  const out: ConditionalCreateEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    const r = entry.request;
    if (
      r?.method !== 'POST' ||
      !r.url ||
      !/^[A-Z][A-Za-z]+$/.test(r.url) ||
      entry.resource?.resourceType !== r.url
    ) {
      return undefined;
    }
    try {
      out.push({
        index,
        type: r.url,
        req: entryRequest(entry, index, request.baseUrl, request.headers ?? {}),
      });
    } catch {
      return undefined;
    }
  }
  return out;
}
