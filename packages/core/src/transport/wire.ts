import type { Resource } from 'fhir/r4';
import { FhirError } from '../errors/fhir-error.js';
import type { ChangeAction, ChangeEvent } from '../store/types.js';

const decoder = new TextDecoder();
const ACTIONS: ReadonlySet<string> = new Set<ChangeAction>(['create', 'update', 'delete']);

/**
 * The JSON form of an event on the wire: the same as `StoredVersion.toJSON()`
 * (the event fields plus `resource`, absent for a delete). When the event
 * carries its stored bytes (`body`, as `StoredVersion` does) they are spliced
 * in as they are, so relaying never parses and re-serializes a resource.
 *
 * @example
 * ```ts
 * const [event] = await store.readChanges(1, 1);
 * const text = encodeChangeEvent(event!); // '{"seq":1,"txId":"…","action":"create",…,"resource":{…}}'
 * ```
 */
export function encodeChangeEvent(event: ChangeEvent): string {
  const { seq, txId, action, resourceType, id, versionId, lastUpdated } = event;
  const head = JSON.stringify({ seq, txId, action, resourceType, id, versionId, lastUpdated });
  if (action === 'delete') return head;
  const body = (event as { body?: unknown }).body;
  const resource =
    body instanceof Uint8Array ? decoder.decode(body) : event.resource ? JSON.stringify(event.resource) : '';
  return resource === '' ? head : `${head.slice(0, -1)},"resource":${resource}}`;
}

/**
 * Rebuild a {@link ChangeEvent} from its wire form (text or UTF-8 bytes).
 * Throws `FhirError('invalid')` when it is not one.
 *
 * @example
 * ```ts
 * const event = decodeChangeEvent(msg.data);
 * event.seq; event.resource?.resourceType;
 * ```
 */
export function decodeChangeEvent(data: string | Uint8Array): ChangeEvent {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(typeof data === 'string' ? data : decoder.decode(data)) as Record<string, unknown>;
  } catch (cause) {
    throw new FhirError('invalid', 'A change event on the wire is not JSON', { cause });
  }
  return changeEventFromJSON(json);
}

/**
 * Rebuild a {@link ChangeEvent} from its parsed JSON form (e.g. `StoredVersion.toJSON()`).
 *
 * @example
 * ```ts
 * const copy = changeEventFromJSON(JSON.parse(JSON.stringify(event)));
 * ```
 */
export function changeEventFromJSON(json: Record<string, unknown>): ChangeEvent {
  const { seq, txId, action, resourceType, id, versionId, lastUpdated, resource } = json;
  if (
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq) ||
    seq < 1 ||
    typeof txId !== 'string' ||
    typeof action !== 'string' ||
    !ACTIONS.has(action) ||
    typeof resourceType !== 'string' ||
    typeof id !== 'string' ||
    typeof versionId !== 'string' ||
    typeof lastUpdated !== 'string' ||
    (resource !== undefined && (typeof resource !== 'object' || resource === null))
  ) {
    throw new FhirError('invalid', 'Not a change event');
  }
  return Object.freeze({
    seq,
    txId,
    action: action as ChangeAction,
    resourceType,
    id,
    versionId,
    lastUpdated,
    resource: action === 'delete' ? undefined : (resource as Resource | undefined),
  });
}
