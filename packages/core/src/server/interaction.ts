import { isResourceType } from '../definitions/index.js';
import { FhirError } from '../errors/fhir-error.js';
import type { SearchParams } from '../search/types.js';
import { isFhirId } from '../store/fhir-id.js';

/** The HTTP methods FHIR uses. */
export type FhirMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A FHIR RESTful interaction, as named in http.html, parsed from a method and a URL relative to the base. */
export type Interaction =
  | { kind: 'capabilities' }
  | { kind: 'read'; type: string; id: string }
  | { kind: 'vread'; type: string; id: string; versionId: string }
  | { kind: 'update'; type: string; id: string }
  | { kind: 'conditional-update'; type: string; params: SearchParams }
  | { kind: 'patch'; type: string; id: string }
  | { kind: 'conditional-patch'; type: string; params: SearchParams }
  | { kind: 'delete'; type: string; id: string }
  | { kind: 'conditional-delete'; type: string; params: SearchParams }
  | { kind: 'create'; type: string }
  | {
      kind: 'search';
      type?: string;
      params: SearchParams;
      compartment?: { type: string; id: string };
      post?: boolean;
    }
  | { kind: 'history'; type?: string; id?: string; params: SearchParams }
  | { kind: 'bundle' }
  | { kind: 'operation'; name: string; type?: string; id?: string; params: SearchParams };

/**
 * Parse `method` and a path relative to the FHIR base (no leading slash, no
 * query) plus its query parameters into an {@link Interaction}. Unknown
 * resource types answer 404, malformed ids 400, wrong methods 405.
 *
 * @example
 * ```ts
 * parseInteraction('GET', 'Patient/1/_history/2', []); // { kind: 'vread', type: 'Patient', id: '1', versionId: '2' }
 * parseInteraction('PUT', 'Patient', [['identifier', 'x|1']]); // { kind: 'conditional-update', ... }
 * ```
 */
export function parseInteraction(method: FhirMethod, path: string, params: SearchParams): Interaction {
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment);
  const get = method === 'GET' || method === 'HEAD';
  const [first, second, third, fourth] = segments;
  if (segments.length > 4) throw notFound(path);

  if (first === undefined) {
    if (get) return { kind: 'search', params };
    if (method === 'POST') return { kind: 'bundle' };
    throw notAllowed(method, path);
  }
  if (segments.length === 1) {
    if (first === 'metadata') return get ? { kind: 'capabilities' } : notAllowed(method, path);
    if (first === '_history') return get ? { kind: 'history', params } : notAllowed(method, path);
    if (first === '_search')
      return method === 'POST' ? { kind: 'search', params, post: true } : notAllowed(method, path);
    if (first.startsWith('$')) return operation(first, params, method);
  }
  const type = resourceType(first);
  if (second === undefined) {
    if (get) return { kind: 'search', type, params };
    switch (method) {
      case 'POST':
        return { kind: 'create', type };
      case 'PUT':
        return { kind: 'conditional-update', type, params: requireConditions(params, 'update') };
      case 'PATCH':
        return { kind: 'conditional-patch', type, params: requireConditions(params, 'patch') };
      case 'DELETE':
        return { kind: 'conditional-delete', type, params: requireConditions(params, 'delete') };
      default:
        return notAllowed(method, path);
    }
  }
  if (segments.length === 2) {
    if (second === '_search')
      return method === 'POST' ? { kind: 'search', type, params, post: true } : notAllowed(method, path);
    if (second === '_history') return get ? { kind: 'history', type, params } : notAllowed(method, path);
    if (second.startsWith('$')) return { ...operation(second, params, method), type };
  }
  const id = resourceId(second);
  if (third === undefined) {
    if (get) return { kind: 'read', type, id };
    if (method === 'PUT') return { kind: 'update', type, id };
    if (method === 'PATCH') return { kind: 'patch', type, id };
    if (method === 'DELETE') return { kind: 'delete', type, id };
    return notAllowed(method, path);
  }
  if (third === '_history') {
    if (!get) return notAllowed(method, path);
    if (fourth === undefined) return { kind: 'history', type, id, params };
    return { kind: 'vread', type, id, versionId: fourth };
  }
  if (fourth !== undefined) throw notFound(path);
  if (third.startsWith('$')) return { ...operation(third, params, method), type, id };
  if (!get) return notAllowed(method, path);
  if (third === '*') return { kind: 'search', params, compartment: { type, id } };
  return { kind: 'search', type: resourceType(third), params, compartment: { type, id } };
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new FhirError('invalid', `Malformed percent-encoding in the path segment ${segment}`);
  }
}

function operation(
  segment: string,
  params: SearchParams,
  method: FhirMethod,
): Extract<Interaction, { kind: 'operation' }> {
  const name = segment.slice(1);
  if (!/^[A-Za-z][A-Za-z0-9\-_]*$/.test(name))
    throw new FhirError('invalid', `Invalid operation name: ${segment}`);
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD' && method !== 'DELETE') {
    throw new FhirError('method-not-allowed', `${method} is not allowed on operations`);
  }
  return { kind: 'operation', name, params };
}

function resourceType(name: string): string {
  if (!isResourceType(name)) throw new FhirError('not-found', `Unknown resource type: ${name}`);
  return name;
}

function resourceId(id: string): string {
  if (!isFhirId(id)) throw new FhirError('invalid', `Invalid resource id: ${id}`);
  return id;
}

function requireConditions(params: SearchParams, what: string): SearchParams {
  const conditions = params.filter(([name]) => !name.startsWith('_format') && name !== '_pretty');
  if (conditions.length === 0) {
    throw new FhirError('invalid', `A conditional ${what} needs search parameters (none were given)`);
  }
  return conditions;
}

function notFound(path: string): never {
  throw new FhirError('not-found', `No FHIR interaction at ${path}`);
}

function notAllowed(method: string, path: string): never {
  throw new FhirError('method-not-allowed', `${method} is not allowed on ${path || '[base]'}`);
}
