/**
 * Notification Bundles per the Backport IG (STU 1.1) for R4: a `history`
 * Bundle whose first entry is the `Parameters` SubscriptionStatus, then one
 * entry per event focus (`id-only`: reference only; `full-resource`: the
 * version that triggered). Every entry carries `request` and `response`
 * (bdl-3, bdl-4); the status entry's request is the `$status` GET.
 */
import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '@fhirstream/core';
import {
  BACKPORT,
  type NotificationType,
  type PayloadContent,
  type SubscriptionStatusCode,
} from './backport.js';
import type { Bundle, BundleEntry, ParametersParameter, ParametersResource } from './fhir-types.js';

/** One numbered event of a subscription. */
export interface NumberedEvent {
  number: number;
  event: ChangeEvent;
  /** Relative or absolute references for `additional-context`. */
  additionalContext?: string[];
}

/** What a status / notification is about. */
export interface StatusInput {
  baseUrl: string;
  subscriptionId: string;
  topicUrl: string;
  status: SubscriptionStatusCode;
  type: NotificationType;
  /** Events since the subscription started (for an event notification: up to and including its last event). */
  eventsSinceStart: number;
  events?: NumberedEvent[];
  content?: PayloadContent;
  /** An error to report (`error` parameter, as CodeableConcept text). */
  error?: string;
}

const absolute = (baseUrl: string, ref: string) =>
  /^[a-z][a-z0-9+.-]*:/i.test(ref) ? ref : `${baseUrl}/${ref}`;

/**
 * The SubscriptionStatus `Parameters` (profile `backport-subscription-status-r4`).
 *
 * @example
 * ```ts
 * statusParameters({ baseUrl: 'https://x/fhir', subscriptionId: 's1', topicUrl, status: 'active', type: 'heartbeat', eventsSinceStart: 3 });
 * ```
 */
export function statusParameters(input: StatusInput): ParametersResource {
  const parameter: ParametersParameter[] = [
    {
      name: 'subscription',
      valueReference: { reference: `${input.baseUrl}/Subscription/${input.subscriptionId}` },
    },
    { name: 'topic', valueCanonical: input.topicUrl },
    { name: 'status', valueCode: input.status },
    { name: 'type', valueCode: input.type },
    { name: 'events-since-subscription-start', valueString: String(input.eventsSinceStart) },
  ];
  const content = input.content ?? 'empty';
  for (const e of input.events ?? []) {
    const part: ParametersParameter[] = [
      { name: 'event-number', valueString: String(e.number) },
      { name: 'timestamp', valueInstant: e.event.lastUpdated },
    ];
    if (content !== 'empty') {
      part.push({ name: 'focus', valueReference: { reference: focusUrl(input.baseUrl, e.event) } });
      for (const ref of e.additionalContext ?? [])
        part.push({
          name: 'additional-context',
          valueReference: { reference: absolute(input.baseUrl, ref) },
        });
    }
    parameter.push({ name: 'notification-event', part });
  }
  if (input.error) parameter.push({ name: 'error', valueCodeableConcept: { text: input.error } });
  return {
    resourceType: 'Parameters',
    id: randomUUID(),
    meta: { profile: [BACKPORT.statusProfile] },
    parameter,
  };
}

const focusUrl = (baseUrl: string, e: ChangeEvent) => `${baseUrl}/${e.resourceType}/${e.id}`;

function focusEntry(baseUrl: string, e: ChangeEvent, content: PayloadContent): BundleEntry {
  const request: BundleEntry['request'] =
    e.action === 'create'
      ? { method: 'POST', url: e.resourceType }
      : { method: e.action === 'delete' ? 'DELETE' : 'PUT', url: `${e.resourceType}/${e.id}` };
  return {
    fullUrl: focusUrl(baseUrl, e),
    ...(content === 'full-resource' && e.resource ? { resource: e.resource as BundleEntry['resource'] } : {}),
    request,
    response: {
      status: e.action === 'create' ? '201' : e.action === 'delete' ? '204' : '200',
      etag: `W/"${e.versionId}"`,
      lastModified: e.lastUpdated,
      ...(e.action !== 'delete' ? { location: `${e.resourceType}/${e.id}/_history/${e.versionId}` } : {}),
    },
  };
}

/**
 * A notification Bundle (handshake, heartbeat, event-notification or query-event).
 *
 * @example
 * ```ts
 * const bundle = notificationBundle({ baseUrl, subscriptionId: 's1', topicUrl, status: 'active',
 *   type: 'event-notification', eventsSinceStart: 7, events: [{ number: 7, event }], content: 'id-only' });
 * bundle.entry[0].resource.resourceType; // 'Parameters'
 * ```
 */
export function notificationBundle(input: StatusInput): Bundle {
  const status = statusParameters(input);
  const content = input.content ?? 'empty';
  const entry: BundleEntry[] = [
    {
      fullUrl: `urn:uuid:${status.id}`,
      resource: status as unknown as BundleEntry['resource'],
      request: { method: 'GET', url: `${input.baseUrl}/Subscription/${input.subscriptionId}/$status` },
      response: { status: '200' },
    },
  ];
  if (content !== 'empty')
    for (const e of input.events ?? []) entry.push(focusEntry(input.baseUrl, e.event, content));
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { profile: [BACKPORT.notificationProfile] },
    type: 'history',
    timestamp: new Date().toISOString(),
    entry,
  };
}

/**
 * The `$status` answer: a `searchset` of SubscriptionStatus `Parameters` (type `query-status`).
 *
 * @example
 * ```ts
 * statusBundle([statusParameters({ ...input, type: 'query-status' })]).total; // 1
 * ```
 */
export function statusBundle(statuses: ParametersResource[]): Bundle {
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'searchset',
    timestamp: new Date().toISOString(),
    total: statuses.length,
    entry: statuses.map((resource) => ({
      fullUrl: `urn:uuid:${resource.id}`,
      resource: resource as unknown as BundleEntry['resource'],
      search: { mode: 'match' },
    })),
  };
}
