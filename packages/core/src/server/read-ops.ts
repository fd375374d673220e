import type { Bundle, BundleEntry } from 'fhir/r4';
import type { RequestContext } from '../context/request-context.js';
import { FhirError } from '../errors/fhir-error.js';
import type { SearchParams } from '../search/types.js';
import type { StoredResource } from '../store/types.js';
import { parseDateRange } from './date-range.js';
import { applyRepresentation, isSubsetting, representationOf } from './representation.js';
import { etagOf, type ServerDeps, versionFromEtag, visible } from './server-context.js';
import type { FhirRequest, FhirResponse } from './types.js';

/** read: 200, 404 when it never existed (or is hidden), 410 when deleted, 304 on a matching If-None-Match / If-Modified-Since. */
export async function readResource(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const stored = await deps.store.read(type, id);
  if (!stored || !(await visible(deps, ctx, stored)))
    throw new FhirError('not-found', `${type}/${id} is not known`);
  if (stored.deleted) {
    throw new FhirError('gone', `${type}/${id} was deleted (version ${stored.versionId})`, {
      issues: [],
    });
  }
  const { ifNoneMatch, ifModifiedSince } = request.headers ?? {};
  if (ifNoneMatch && (ifNoneMatch.trim() === '*' || versionFromEtag(ifNoneMatch) === stored.versionId)) {
    return { status: 304, stored };
  }
  if (ifModifiedSince) {
    const since = Date.parse(ifModifiedSince);
    // HTTP dates have second precision: compare on whole seconds.
    if (
      !Number.isNaN(since) &&
      Math.floor(Date.parse(stored.lastUpdated) / 1000) <= Math.floor(since / 1000)
    ) {
      return { status: 304, stored };
    }
  }
  return represent(stored, request.params);
}

/** vread: a version by id; a deleted version answers 410. */
export async function vreadResource(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string,
  id: string,
  versionId: string,
): Promise<FhirResponse> {
  const stored = await deps.store.readVersion(type, id, versionId);
  if (!stored || !(await visible(deps, ctx, stored))) {
    throw new FhirError('not-found', `${type}/${id}/_history/${versionId} is not known`);
  }
  if (stored.deleted) throw new FhirError('gone', `${type}/${id} version ${versionId} is a delete`);
  return represent(stored, request.params);
}

/** The stored bytes as they are, or a subsetted copy for `_summary` / `_elements`. */
export function represent(stored: StoredResource, params: SearchParams, status = 200): FhirResponse {
  const rep = representationOf(params);
  if (!isSubsetting(rep)) return { status, stored };
  return { status, stored, resource: applyRepresentation(stored.resource!, rep) };
}

/**
 * history (instance, type, system): a `history` Bundle, newest first, with
 * `_since`, `_at`, `_count` and a seq cursor (`_cursor`) for stable paging.
 */
export async function historyBundle(
  deps: ServerDeps,
  ctx: RequestContext,
  request: FhirRequest,
  type: string | undefined,
  id: string | undefined,
): Promise<FhirResponse> {
  if (type && id && !(await deps.store.read(type, id)))
    throw new FhirError('not-found', `${type}/${id} is not known`);
  let since: string | undefined;
  let at: { low: number; high: number } | undefined;
  let count = deps.limits.defaultCount;
  let cursor: number | undefined;
  for (const [name, value] of request.params) {
    if (name === '_since') since = new Date(parseDateRange(value, '_since').low).toISOString();
    else if (name === '_at') at = parseDateRange(value, '_at');
    else if (name === '_count') count = parseCount(value, deps.limits.maxCount);
    else if (name === '_cursor') cursor = parseCursor(value);
    else if (name === '_format' || name === '_pretty' || name === '_summary' || name === '_elements')
      continue;
    else if (request.headers?.preferHandling === 'strict') {
      throw new FhirError('unknown-parameter', `Unknown history parameter: ${name}`, { expression: [name] });
    }
  }
  const entries: StoredResource[] = [];
  const newerAt = new Map<string, number>();
  let last: number | undefined;
  let more = false;
  const iterable = deps.store.history({
    ...(type ? { resourceType: type } : {}),
    ...(id ? { id } : {}),
    ...(since ? { since } : {}),
    ...(cursor !== undefined ? { before: cursor } : {}),
  });
  for await (const v of iterable) {
    if (entries.length === count) {
      more = true;
      break;
    }
    last = v.seq;
    if (at) {
      const key = `${v.resourceType}/${v.id}`;
      const t = Date.parse(v.lastUpdated);
      const newer = newerAt.get(key);
      newerAt.set(key, t);
      if (t > at.high || (newer !== undefined && newer < at.low)) continue;
    }
    if (await visible(deps, ctx, v)) entries.push(v);
  }
  const base = [request.baseUrl, type, id, '_history'].filter(Boolean).join('/');
  const self = withParams(base, request.params);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    link: [{ relation: 'self', url: self }],
    entry: entries.map((v) => historyEntry(request.baseUrl, v)),
  };
  if (more && last !== undefined) {
    const next = request.params.filter(([n]) => n !== '_cursor').concat([['_cursor', String(last)]]);
    bundle.link!.push({ relation: 'next', url: withParams(base, next) });
  }
  return { status: 200, resource: bundle };
}

function historyEntry(baseUrl: string, v: StoredResource): BundleEntry {
  const entry: BundleEntry = {
    fullUrl: `${baseUrl}/${v.resourceType}/${v.id}`,
    request: {
      method: v.deleted ? 'DELETE' : v.versionId === '1' ? 'POST' : 'PUT',
      url: v.versionId === '1' && !v.deleted ? v.resourceType : `${v.resourceType}/${v.id}`,
    },
    response: {
      status: v.deleted ? '204' : v.versionId === '1' ? '201' : '200',
      etag: etagOf(v.versionId),
      lastModified: v.lastUpdated,
    },
  };
  if (!v.deleted) entry.resource = v.resource!;
  return entry;
}

/** Parse `_count`: a non-negative integer, capped at `max`. */
export function parseCount(value: string, max: number): number {
  if (!/^\d+$/.test(value))
    throw new FhirError('invalid', `Invalid _count: ${value}`, { expression: ['_count'] });
  return Math.min(Number(value), max);
}

function parseCursor(value: string): number {
  if (!/^\d+$/.test(value))
    throw new FhirError('invalid', `Invalid _cursor: ${value}`, { expression: ['_cursor'] });
  return Number(value);
}

/** `base?name=value&…` with proper encoding. */
export function withParams(base: string, params: SearchParams): string {
  if (params.length === 0) return base;
  return `${base}?${params.map(([n, v]) => `${encodeURIComponent(n).replace(/%3A/gi, ':')}=${encodeURIComponent(v).replace(/%2C/gi, ',').replace(/%7C/gi, '|')}`).join('&')}`;
}
