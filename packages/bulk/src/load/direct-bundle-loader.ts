/**
 * Loading transaction/batch Bundles straight into a store, without a search
 * engine: `urn:uuid` full URLs become ids, conditional references and
 * conditional creates (`Type?identifier=system|value`) are resolved against
 * the identifiers of what this loader has loaded. For bulk loads of
 * self-contained data (e.g. Synthea) when no search engine is available; with
 * one, send the Bundles through `FhirServer.handle` instead.
 */
import {
  type AnyResource,
  isFhirId,
  newResourceId,
  type ResourceStore,
  type WriteOp,
} from '@fhirstream/core';

/** Counts of one {@link DirectBundleLoader.load}. */
export interface DirectLoadResult {
  /** Resources written. */
  written: number;
  /** Conditional creates that matched an already loaded resource (not written). */
  matched: number;
  /** References left as they were because they could not be resolved. */
  unresolved: string[];
  seq: number;
}

/** Loads Bundles into a store; keeps the identifier map across calls. */
export interface DirectBundleLoader {
  load(bundle: { type?: string; entry?: BundleEntryLike[] }): Promise<DirectLoadResult>;
}

interface BundleEntryLike {
  fullUrl?: string;
  resource?: AnyResource;
  request?: { method?: string; url?: string; ifNoneExist?: string };
}

const IDENTIFIER_QUERY = /^([A-Z][A-Za-z]+)\?identifier=(.*)$/;

/**
 * Create a loader writing to `store`.
 *
 * @example
 * ```ts
 * const loader = directBundleLoader(store);
 * await loader.load(hospitalBatch);  // Organizations, Practitioners, Locations
 * await loader.load(patientTransaction); // references to them resolve
 * ```
 */
export function directBundleLoader(store: ResourceStore): DirectBundleLoader {
  const byIdentifier = new Map<string, string>();
  const identifierKey = (type: string, token: string) => {
    const decoded = decodeURIComponent(token);
    const bar = decoded.indexOf('|');
    return bar < 0 ? `${type}||${decoded}` : `${type}|${decoded.slice(0, bar)}|${decoded.slice(bar + 1)}`;
  };
  const remember = (r: AnyResource & { id: string }) => {
    const identifiers = (r as { identifier?: Array<{ system?: string; value?: string }> }).identifier;
    for (const i of identifiers ?? []) {
      if (i.value === undefined) continue;
      byIdentifier.set(`${r.resourceType}|${i.system ?? ''}|${i.value}`, r.id);
      byIdentifier.set(`${r.resourceType}||${i.value}`, r.id);
    }
  };
  const conditional = (ref: string): string | undefined => {
    const m = IDENTIFIER_QUERY.exec(ref);
    if (!m) return undefined;
    const id = byIdentifier.get(identifierKey(m[1]!, m[2]!));
    return id === undefined ? undefined : `${m[1]}/${id}`;
  };

  return {
    async load(bundle) {
      const entries = bundle.entry ?? [];
      const urls = new Map<string, string>();
      const resources: Array<AnyResource & { id: string }> = [];
      let matched = 0;
      for (const entry of entries) {
        const r = entry.resource;
        if (
          !r ||
          (entry.request?.method && entry.request.method !== 'POST' && entry.request.method !== 'PUT')
        )
          continue;
        const ifNoneExist = entry.request?.ifNoneExist;
        if (ifNoneExist) {
          const existing = conditional(`${r.resourceType}?${ifNoneExist}`);
          if (existing) {
            if (entry.fullUrl) urls.set(entry.fullUrl, existing);
            matched++;
            continue;
          }
        }
        const uuid = entry.fullUrl?.startsWith('urn:uuid:') ? entry.fullUrl.slice(9) : undefined;
        const putId = entry.request?.method === 'PUT' ? entry.request.url?.split('/')[1] : undefined;
        const id = putId ?? (r.id && isFhirId(r.id) ? r.id : uuid && isFhirId(uuid) ? uuid : newResourceId());
        const withId = { ...r, id } as AnyResource & { id: string };
        if (entry.fullUrl) urls.set(entry.fullUrl, `${r.resourceType}/${id}`);
        remember(withId);
        resources.push(withId);
      }
      const unresolved: string[] = [];
      const rewrite = (node: unknown): void => {
        if (Array.isArray(node)) {
          for (const item of node) if (item !== null && typeof item === 'object') rewrite(item);
          return;
        }
        const o = node as Record<string, unknown>;
        for (const key in o) {
          const v = o[key];
          if (key === 'reference' && typeof v === 'string') {
            const resolved = urls.get(v) ?? conditional(v);
            if (resolved) o[key] = resolved;
            else if (v.startsWith('urn:') || v.includes('?')) unresolved.push(v);
          } else if (v !== null && typeof v === 'object') rewrite(v);
        }
      };
      for (const r of resources) rewrite(r);
      if (resources.length === 0) return { written: 0, matched, unresolved, seq: await store.headSeq() };
      const ops: WriteOp[] = resources.map((resource) => ({ op: 'update', resource }));
      const { seq } = await store.commit(ops);
      return { written: resources.length, matched, unresolved, seq };
    },
  };
}
