import type { UpdateOp } from '@fhirstream/core';
import type { SyntheaData } from './synthea.js';

/**
 * The store ops of every bundle with `urn:uuid:` references rewritten to
 * `Type/id` (the ids the resources are written under), so that reference
 * searches, chains, `_has` and includes work on data committed directly.
 *
 * @example
 * ```ts
 * for (const ops of linkedOps(data)) await store.commit(ops);
 * ```
 */
export function linkedOps(data: SyntheaData): UpdateOp[][] {
  const typeOf = new Map<string, string>();
  for (const b of data.bundles) for (const r of b.resources) typeOf.set(r.id, r.resourceType);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:')) {
        const id = v.slice(9);
        const type = typeOf.get(id);
        out[k] = type ? `${type}/${id}` : v;
      } else out[k] = rewrite(v);
    }
    return out;
  };
  return data.bundles.map((b) =>
    b.resources.map((r) => ({ op: 'update', resource: rewrite(r.resource) as UpdateOp['resource'] })),
  );
}
