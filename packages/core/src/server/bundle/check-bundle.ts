import type { Bundle } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error.js';
import type { ServerDeps } from '../server-context.js';

/** `request` fields read by `entryRequest`: each must be a string when present. */
const REQUEST_STRINGS = [
  'method',
  'url',
  'ifMatch',
  'ifNoneMatch',
  'ifModifiedSince',
  'ifNoneExist',
] as const;

/**
 * Check a Bundle posted to the base before any of its entries runs: a batch
 * or a transaction within the entry limit whose envelope is sound. The
 * envelope (the Bundle with its entries' resources left out: each entry's
 * interaction validates its own resource) is checked against the R4 Bundle
 * definition by the server's validator, after a check of the shapes the
 * server reads itself (entries are objects, `request` fields are strings),
 * which holds even when validation is turned off. Anything else answers 400
 * (413 for too many entries) and runs nothing.
 *
 * @example
 * ```ts
 * checkBundle(deps, { resourceType: 'Bundle', type: 'batch', entry: [null] });
 * // throws FhirError('invalid'): Bundle.entry[0] must be an object, found null
 * ```
 */
export function checkBundle(deps: ServerDeps, body: unknown): Bundle {
  const bundle = body as Bundle;
  if (bundle?.resourceType !== 'Bundle') throw new FhirError('invalid', 'POST to the base needs a Bundle');
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new FhirError(
      'invalid',
      `A Bundle posted to the base must be a batch or a transaction, not ${String(bundle.type)}`,
      { expression: ['Bundle.type'] },
    );
  }
  const entries: unknown = bundle.entry;
  if (entries !== undefined && !Array.isArray(entries)) invalid('Bundle.entry', 'must be an array', entries);
  const count = bundle.entry?.length ?? 0;
  if (count > deps.limits.maxBundleEntries) {
    throw new FhirError(
      'too-large',
      `The Bundle has ${count} entries; at most ${deps.limits.maxBundleEntries} are allowed`,
    );
  }
  const envelope = bundle.entry?.map((entry, i) => {
    if (!isObject(entry)) invalid(`Bundle.entry[${i}]`, 'must be an object', entry);
    const request: unknown = entry.request;
    if (request !== undefined) {
      if (!isObject(request)) invalid(`Bundle.entry[${i}].request`, 'must be an object', request);
      for (const name of REQUEST_STRINGS)
        if (request[name] !== undefined && typeof request[name] !== 'string')
          invalid(`Bundle.entry[${i}].request.${name}`, 'must be a string', request[name]);
    }
    if (entry.resource === undefined) return entry;
    const { resource: _, ...rest } = entry;
    return rest;
  });
  deps.validate(envelope ? { ...bundle, entry: envelope } : bundle, 'Bundle');
  return bundle;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(expression: string, what: string, value: unknown): never {
  const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new FhirError('invalid', `${expression} ${what}, found ${found}`, { expression: [expression] });
}
