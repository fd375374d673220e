import type { RequestContext } from '../context/request-context.js';
import type { ProjectorRuntime } from '../projection/runtime.js';
import type { SearchEngine } from '../search/types.js';
import type { ResourceStore } from '../store/create-store.js';
import type { StoredResource } from '../store/types.js';
import type { AsyncMutex } from './conditional.js';
import type { AccessPolicy, OperationHandler } from './types.js';

/** Limits the server enforces. */
export interface ServerLimits {
  /** Entries per Bundle (default 20,000). */
  maxBundleEntries: number;
  /** Default page size (default 50). */
  defaultCount: number;
  /** Largest `_count` (default 1,000; larger values are capped). */
  maxCount: number;
  /** Longest wait for projections in read-your-writes, and for a write held back by {@link maxProjectionLag} (default 10,000 ms). */
  consistencyTimeoutMs: number;
  /**
   * Write backpressure: a write waits while the search projections are more
   * than this many events behind the head of the log, so that a search after
   * a long ingest finds them caught up within `consistencyTimeoutMs`. A write
   * still held back after `consistencyTimeoutMs` answers 503 and changes
   * nothing. 0 turns it off (default 10,000).
   */
  maxProjectionLag: number;
}

/** Everything the interaction handlers share: passed in, never global. */
export interface ServerDeps {
  store: ResourceStore;
  runtime: ProjectorRuntime;
  search: SearchEngine | undefined;
  access: AccessPolicy;
  validate: (resource: unknown, expectedType?: string) => void;
  operations: Map<string, OperationHandler>;
  limits: ServerLimits;
  /** Serializes conditional writes in this process. */
  conditionalLock: AsyncMutex;
  /** Wait until the search projections have applied `seq` (no-op without search or seq). */
  settle(seq: number | undefined): Promise<void>;
  /** Called before every commit: waits while the search projections lag too far behind (see {@link ServerLimits.maxProjectionLag}). */
  admitWrite(): Promise<void>;
  /** Resolves once every SearchParameter resource written so far is registered with the engine. */
  searchParametersReady?: () => Promise<void>;
}

/** Apply the access policy's read check to one resource. */
export async function visible(
  deps: ServerDeps,
  ctx: RequestContext,
  resource: StoredResource,
): Promise<boolean> {
  return deps.access.canRead ? deps.access.canRead(ctx, resource) : true;
}

/** Keep the resources the caller may read. */
export async function filterVisible(
  deps: ServerDeps,
  ctx: RequestContext,
  resources: StoredResource[],
): Promise<StoredResource[]> {
  if (!deps.access.canRead) return resources;
  const out: StoredResource[] = [];
  for (const r of resources) if (await deps.access.canRead(ctx, r)) out.push(r);
  return out;
}

/**
 * Read-your-writes for reads served by projections: wait until the search
 * projectors have applied the caller's seq, or every write to `types` (a
 * query on one type needs nothing else), or the head of the log.
 */
export async function awaitProjections(
  deps: ServerDeps,
  ctx: RequestContext,
  types?: readonly string[],
): Promise<void> {
  if (!deps.search || ctx.consistency === 'eventual') return;
  await deps.searchParametersReady?.();
  const seq = typeof ctx.minSeq === 'number' ? ctx.minSeq : await deps.store.seqCovering(types);
  if (seq > 0) await deps.settle(seq);
}

/** The relative location of a version: `Patient/1/_history/2`. */
export function versionLocation(r: { resourceType: string; id: string; versionId: string }): string {
  return `${r.resourceType}/${r.id}/_history/${r.versionId}`;
}

/** `W/"3"` */
export function etagOf(versionId: string): string {
  return `W/"${versionId}"`;
}

/** The bare versionId of an `If-Match` / `If-None-Match` value (`W/"3"`, `"3"` or `3`). */
export function versionFromEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
}
