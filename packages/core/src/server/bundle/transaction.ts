import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import type { RequestContext } from '../../context/request-context.js';
import { FhirError } from '../../errors/fhir-error.js';
import { newResourceId } from '../../store/fhir-id.js';
import type { CommitResult, StoredResource, WriteOp } from '../../store/types.js';
import { findMatches, parseQuery } from '../conditional.js';
import { type Interaction, parseInteraction } from '../interaction.js';
import { applyFhirPathPatch } from '../patch/fhirpath-patch.js';
import { applyJsonPatch } from '../patch/json-patch.js';
import { etagOf, type ServerDeps, versionFromEtag, versionLocation } from '../server-context.js';
import type { FhirRequest, FhirResponse } from '../types.js';
import { bodyResource } from '../write-ops.js';
import { entryRequest, statusLine } from './entry-request.js';
import { ReferenceResolver } from './references.js';

type Handle = (ctx: RequestContext, request: FhirRequest) => Promise<FhirResponse>;

interface ParsedEntry {
  index: number;
  entry: BundleEntry;
  req: FhirRequest;
  interaction: Interaction;
}

/** What became of one entry. */
type Outcome =
  | { kind: 'write'; op: number }
  | { kind: 'existing'; stored: StoredResource }
  | { kind: 'noop' }
  | { kind: 'deferred' }
  | { kind: 'response'; response: FhirResponse };

const RANK: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/**
 * Process a `transaction` Bundle (bundle.html, http.html): all or nothing, in
 * ONE store commit. Entries are processed DELETE, POST, PUT/PATCH, then GET;
 * `fullUrl`s are rewritten in every reference; conditional creates, updates,
 * deletes and references are resolved inside; any failing entry fails the
 * whole transaction with an OperationOutcome naming it, and nothing is written.
 */
export async function processTransaction(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  bundle: Bundle,
  handle: Handle,
): Promise<FhirResponse> {
  const parsed = (bundle.entry ?? []).map((entry, index) =>
    atEntry(index, () => {
      const req = entryRequest(entry, index, request.baseUrl, request.headers ?? {});
      return { index, entry, req, interaction: parseInteraction(req.method, req.path, req.params) };
    }),
  );
  const seen = new Set<string>();
  for (const p of parsed) {
    const fullUrl = p.entry.fullUrl;
    if (fullUrl && p.req.method !== 'GET') {
      if (seen.has(fullUrl))
        throw entryError(p.index, new FhirError('invalid', `Duplicate fullUrl ${fullUrl}`));
      seen.add(fullUrl);
    }
  }
  const conditional = parsed.some(
    (p) => p.req.headers?.ifNoneExist || p.interaction.kind.startsWith('conditional-'),
  );
  // Conditional writes hold the lock until the index has their commit, so the next conditional sees it.
  const run = () => runTransaction(deps, ctx, request, parsed, handle, conditional);
  return conditional ? deps.conditionalLock.run(run) : run();
}

async function runTransaction(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  parsed: ParsedEntry[],
  handle: Handle,
  settle: boolean,
): Promise<FhirResponse> {
  const ordered = [...parsed].sort((a, b) => RANK[a.req.method]! - RANK[b.req.method]! || a.index - b.index);
  const identities = new Map<string, string>();
  const ops: WriteOp[] = [];
  const opEntry: number[] = [];
  const outcomes = new Map<number, Outcome>();
  const write = (p: ParsedEntry, op: WriteOp) => {
    outcomes.set(p.index, { kind: 'write', op: ops.length });
    ops.push(op);
    opEntry.push(p.index);
  };

  for (const p of ordered) {
    await atEntryAsync(p.index, async () => {
      const { interaction: it, req, entry } = p;
      const ifMatch = req.headers?.ifMatch ? { ifMatch: versionFromEtag(req.headers.ifMatch) } : {};
      const identify = (type: string, id: string) =>
        entry.fullUrl && identities.set(entry.fullUrl, `${type}/${id}`);
      switch (it.kind) {
        case 'delete':
          return write(p, { op: 'delete', resourceType: it.type, id: it.id, ...ifMatch });
        case 'conditional-delete': {
          const [match, more] = await findMatches(deps, ctx, it.type, it.params);
          if (more)
            throw new FhirError(
              'multiple-matches',
              `The conditional delete matched more than one ${it.type}`,
            );
          if (!match) return outcomes.set(p.index, { kind: 'noop' });
          return write(p, { op: 'delete', resourceType: it.type, id: match.id, ...ifMatch });
        }
        case 'create': {
          const resource = bodyResource(req, it.type);
          if (req.headers?.ifNoneExist) {
            const [match, more] = await findMatches(deps, ctx, it.type, parseQuery(req.headers.ifNoneExist));
            if (more) throw new FhirError('multiple-matches', `ifNoneExist matched more than one ${it.type}`);
            if (match) {
              identify(it.type, match.id);
              return outcomes.set(p.index, { kind: 'existing', stored: match });
            }
          }
          const id = newResourceId();
          identify(it.type, id);
          return write(p, { op: 'create', id, resource: { ...resource, id } as Resource });
        }
        case 'update': {
          const resource = bodyResource(req, it.type, it.id) as Resource & { id: string };
          identify(it.type, it.id);
          return write(p, { op: 'update', resource, ...ifMatch });
        }
        case 'conditional-update': {
          const resource = bodyResource(req, it.type);
          const [match, more] = await findMatches(deps, ctx, it.type, it.params);
          if (more)
            throw new FhirError(
              'multiple-matches',
              `The conditional update matched more than one ${it.type}`,
            );
          if (match && resource.id && resource.id !== match.id)
            throw new FhirError(
              'invalid',
              `The body's id ${resource.id} is not the id of the match (${match.id})`,
            );
          const id = match?.id ?? resource.id ?? newResourceId();
          identify(it.type, id);
          return write(
            p,
            match || resource.id
              ? { op: 'update', resource: { ...resource, id }, ...ifMatch }
              : { op: 'create', id, resource: { ...resource, id } as Resource },
          );
        }
        case 'patch':
        case 'conditional-patch': {
          let id: string;
          if (it.kind === 'patch') id = it.id;
          else {
            const [match, more] = await findMatches(deps, ctx, it.type, it.params);
            if (!match || more)
              throw new FhirError(
                more ? 'multiple-matches' : 'not-found',
                `The conditional patch must match exactly one ${it.type}`,
              );
            id = match.id;
          }
          const current = await deps.store.read(it.type, id);
          if (!current || current.deleted)
            throw new FhirError(current ? 'gone' : 'not-found', `${it.type}/${id} does not exist`);
          if (ifMatch.ifMatch && ifMatch.ifMatch !== current.versionId)
            throw new FhirError('version-conflict', `${it.type}/${id} is at version ${current.versionId}`);
          const patched = req.headers?.contentType?.includes('json-patch')
            ? applyJsonPatch(current.resource!, req.body)
            : applyFhirPathPatch(current.resource!, req.body);
          if (patched.resourceType !== it.type || patched.id !== id)
            throw new FhirError('unprocessable', 'A patch may not change resourceType or id');
          identify(it.type, id);
          return write(p, {
            op: 'update',
            resource: patched as Resource & { id: string },
            ifMatch: current.versionId,
            mustExist: true,
          });
        }
        case 'read':
        case 'vread':
        case 'search':
        case 'history':
        case 'capabilities':
          return outcomes.set(p.index, { kind: 'deferred' });
        default:
          throw new FhirError('not-supported', `${req.method} ${req.path} is not allowed in a transaction`);
      }
    });
  }

  const references = new ReferenceResolver(deps, ctx, identities);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op === 'delete') continue;
    await atEntryAsync(opEntry[i]!, async () => {
      await references.rewrite(op.resource);
      deps.validate(op.resource, op.resource.resourceType);
      await deps.access.canWrite?.(ctx, op);
    });
  }

  let commit: CommitResult | undefined;
  if (ops.length > 0) {
    await deps.admitWrite();
    try {
      commit = await deps.store.commit(ops);
    } catch (error) {
      throw attributeCommitError(error, ops, opEntry);
    }
    if (settle) await deps.settle(commit.seq);
  }

  const entries: BundleEntry[] = [];
  for (const p of parsed) {
    const outcome = outcomes.get(p.index)!;
    if (outcome.kind === 'deferred') {
      const response = await atEntryAsync(p.index, () =>
        handle({ ...ctx, ...(commit ? { minSeq: commit.seq } : {}) }, p.req),
      );
      entries.push(responseEntry(request, response));
    } else entries.push(writeEntry(request, outcome, commit));
  }
  const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response', entry: entries };
  return { status: 200, resource: response, ...(commit ? { seq: commit.seq } : {}) };
}

function writeEntry(request: FhirRequest, outcome: Outcome, commit: CommitResult | undefined): BundleEntry {
  if (outcome.kind === 'noop') return { response: { status: statusLine(204) } };
  if (outcome.kind === 'existing') return storedEntry(request, outcome.stored, 200);
  if (outcome.kind !== 'write') return { response: { status: statusLine(200) } };
  const result = commit!.results[outcome.op]!;
  if (!result.stored) return { response: { status: statusLine(204) } };
  if (result.stored.deleted)
    return { response: { status: statusLine(204), etag: etagOf(result.stored.versionId) } };
  return storedEntry(request, result.stored, result.outcome === 'created' ? 201 : 200);
}

function storedEntry(request: FhirRequest, stored: StoredResource, status: number): BundleEntry {
  const entry: BundleEntry = {
    fullUrl: `${request.baseUrl}/${stored.resourceType}/${stored.id}`,
    response: {
      status: statusLine(status),
      location: versionLocation(stored),
      etag: etagOf(stored.versionId),
      lastModified: stored.lastUpdated,
    },
  };
  if (request.headers?.preferReturn === 'representation') entry.resource = stored.resource!;
  return entry;
}

/** A Bundle entry from a handled request's response (batch entries and GETs in a transaction). */
export function responseEntry(request: FhirRequest, response: FhirResponse): BundleEntry {
  const entry: BundleEntry = { response: { status: statusLine(response.status) } };
  const stored = response.stored;
  if (stored) {
    entry.fullUrl = `${request.baseUrl}/${stored.resourceType}/${stored.id}`;
    entry.response!.etag = etagOf(stored.versionId);
    entry.response!.lastModified = stored.lastUpdated;
  }
  if (response.location) entry.response!.location = response.location;
  const isRead = request.method === 'GET' || request.method === 'HEAD';
  const resource = response.resource ?? (stored && !stored.deleted ? stored.resource : undefined);
  if (resource && (isRead || request.headers?.preferReturn === 'representation')) entry.resource = resource;
  else if (response.outcome && request.headers?.preferReturn === 'OperationOutcome')
    entry.response!.outcome = response.outcome;
  return entry;
}

function atEntry<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw entryError(index, error);
  }
}

async function atEntryAsync<T>(index: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw entryError(index, error);
  }
}

/** The same error, naming the entry (`Bundle.entry[3]`). */
export function entryError(index: number, error: unknown): FhirError {
  const e = FhirError.from(error);
  const where = `Bundle.entry[${index}]`;
  if (e.message.startsWith(where)) return e;
  const issues = e.outcome.issue.slice(1);
  const expression = (e.outcome.issue[0]?.expression ?? []).map((x) => `${where}.${x}`);
  return new FhirError(e.code, `${where}: ${e.message}`, {
    status: e.status,
    expression: [where, ...expression],
    issues,
    cause: error,
  });
}

function attributeCommitError(error: unknown, ops: WriteOp[], opEntry: number[]): FhirError {
  const e = FhirError.from(error);
  const at = ops.findIndex((op) => {
    const key =
      op.op === 'delete'
        ? `${op.resourceType}/${op.id}`
        : `${op.resource.resourceType}/${op.resource.id ?? (op.op === 'create' ? op.id : '')}`;
    return e.message.includes(`${key} `) || e.message.endsWith(key);
  });
  return at >= 0 ? entryError(opEntry[at]!, e) : e;
}
