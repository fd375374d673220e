import type { BundleEntry, Resource } from 'fhir/r4';
import type { RequestContext } from '../../context/request-context.js';
import { FhirError } from '../../errors/fhir-error.js';
import { newResourceId } from '../../store/fhir-id.js';
import type { StoredResource, WriteOp } from '../../store/types.js';
import { findMatches, parseQuery } from '../conditional.js';
import { etagOf, type ServerDeps, versionLocation } from '../server-context.js';
import type { FhirRequest } from '../types.js';
import { bodyResource } from '../write-ops.js';
import { statusLine } from './entry-request.js';
import { ReferenceResolver } from './references.js';
import { entryError } from './transaction.js';

/** One batch entry that is a conditional create. */
export interface ConditionalCreateEntry {
  index: number;
  req: FhirRequest;
  type: string;
}

type Result =
  | { kind: 'existing'; stored: StoredResource }
  | { kind: 'create'; op: number }
  | { kind: 'same-as'; entry: number }
  | { kind: 'error'; error: FhirError };

/**
 * A batch made only of creates, conditional (`POST` with `ifNoneExist`, as
 * bulk loaders send) or not: every criterion is resolved under the conditional lock,
 * identical criteria within the batch resolve to the same resource, and all
 * new resources are written in ONE commit — instead of one commit and one
 * index wait per entry. Entries still succeed or fail on their own.
 */
export async function processConditionalCreates(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  entries: ConditionalCreateEntry[],
): Promise<{ entries: BundleEntry[]; seq?: number }> {
  return deps.conditionalLock.run(async () => {
    const results: Result[] = [];
    const ops: WriteOp[] = [];
    const byCriteria = new Map<string, number>();
    const references = new ReferenceResolver(deps, ctx, new Map());
    for (const [k, e] of entries.entries()) {
      try {
        const ifNoneExist = e.req.headers?.ifNoneExist;
        if (ifNoneExist) {
          const criteria = parseQuery(ifNoneExist);
          const key = `${e.type}?${criteria
            .map(([n, v]) => `${n}=${v}`)
            .sort()
            .join('&')}`;
          const earlier = byCriteria.get(key);
          if (earlier !== undefined) {
            results.push({ kind: 'same-as', entry: earlier });
            continue;
          }
          byCriteria.set(key, k);
          const [match, more] = await findMatches(deps, ctx, e.type, criteria);
          if (more) throw new FhirError('multiple-matches', `ifNoneExist matched more than one ${e.type}`);
          if (match) {
            results.push({ kind: 'existing', stored: match });
            continue;
          }
        }
        const resource = bodyResource(e.req, e.type);
        await references.rewrite(resource);
        const id = newResourceId();
        const op: WriteOp = { op: 'create', id, resource: { ...resource, id } as Resource };
        deps.validate(op.resource, e.type);
        await deps.access.canWrite?.(ctx, op);
        results.push({ kind: 'create', op: ops.length });
        ops.push(op);
      } catch (error) {
        results.push({ kind: 'error', error: entryError(e.index, error) });
      }
    }
    if (ops.length > 0) await deps.admitWrite();
    const commit = ops.length > 0 ? await deps.store.commit(ops) : undefined;
    if (commit) await deps.settle(commit.seq);
    const stored = (r: Result): StoredResource | FhirError => {
      if (r.kind === 'existing') return r.stored;
      if (r.kind === 'create') return commit!.results[r.op]!.stored!;
      if (r.kind === 'error') return r.error;
      return stored(results[r.entry]!);
    };
    const out = results.map((r): BundleEntry => {
      const s = stored(r);
      if (s instanceof FhirError) return { response: { status: statusLine(s.status), outcome: s.outcome } };
      const status = r.kind === 'create' ? 201 : 200;
      const entry: BundleEntry = {
        fullUrl: `${request.baseUrl}/${s.resourceType}/${s.id}`,
        response: {
          status: statusLine(status),
          location: versionLocation(s),
          etag: etagOf(s.versionId),
          lastModified: s.lastUpdated,
        },
      };
      if (request.headers?.preferReturn === 'representation') entry.resource = s.resource!;
      return entry;
    });
    return { entries: out, ...(commit ? { seq: commit.seq } : {}) };
  });
}
