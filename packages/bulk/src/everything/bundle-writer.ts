/**
 * A searchset Bundle written from stored bytes: each resource's JSON is copied
 * as stored, never parsed nor re-serialized (the cost of `$everything` on a
 * large patient is then reading, not JSON).
 */
import { randomUUID } from 'node:crypto';
import { type AnyResource, applyRepresentation, type Representation } from '@fhirstream/core';
import type { EverythingEntry } from './collect.js';

/** A Bundle link. */
export interface BundleLink {
  relation: string;
  url: string;
}

/** The searchset as JSON bytes, built from the stored bodies. */
export function rawSearchset(
  baseUrl: string,
  entries: readonly EverythingEntry[],
  links: BundleLink[],
  total: number | undefined,
): Uint8Array {
  const head = {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
    link: links,
  };
  const chunks: Uint8Array[] = [Buffer.from(`${JSON.stringify(head).slice(0, -1)},"entry":[`)];
  for (let i = 0; i < entries.length; i++) {
    const { stored, mode } = entries[i]!;
    chunks.push(
      Buffer.from(
        `${i === 0 ? '' : ','}{"fullUrl":${JSON.stringify(`${baseUrl}/${stored.resourceType}/${stored.id}`)},"resource":`,
      ),
    );
    chunks.push(stored.body!);
    chunks.push(Buffer.from(`,"search":{"mode":"${mode}"}}`));
  }
  chunks.push(Buffer.from(']}'));
  return Buffer.concat(chunks);
}

/** The searchset as a Bundle object, with `_summary` / `_elements` applied to each resource. */
export function searchsetBundle(
  baseUrl: string,
  entries: readonly EverythingEntry[],
  links: BundleLink[],
  total: number | undefined,
  representation: Representation | undefined,
): AnyResource {
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    ...(total !== undefined ? { total } : {}),
    link: links,
    entry: entries.map(({ stored, mode }) => ({
      fullUrl: `${baseUrl}/${stored.resourceType}/${stored.id}`,
      resource: representation ? applyRepresentation(stored.resource!, representation) : stored.resource!,
      search: { mode },
    })),
  } as AnyResource;
}
