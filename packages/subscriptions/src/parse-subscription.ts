/**
 * Reading a `Subscription` resource (R4 criteria-based, or topic-based per
 * the Backport IG) into what the engine runs, and refusing what it cannot run.
 */
import { FhirError, type SearchParameterRegistry } from '@fhirstream/core';
import {
  BACKPORT,
  type PayloadContent,
  RESOURCE_CHANGE_TOPIC,
  type SubscriptionStatusCode,
} from './backport.js';
import { type CompiledFilter, officialRegistry, parseCriteria } from './criteria.js';
import type { Extension, SubscriptionResource } from './fhir-types.js';
import type { CompiledTopic, TopicRegistry } from './topics.js';

/** A subscription as the engine runs it. */
export interface ParsedSubscription {
  id: string;
  status: SubscriptionStatusCode;
  /** `criteria`: an R4 search URL (run as the resource-change topic with that filter); `topic`: a Backport topic. */
  kind: 'criteria' | 'topic';
  topicUrl: string;
  topic: CompiledTopic;
  /** ANDed; each applies to the events of its resource type. */
  filters: CompiledFilter[];
  /** `rest-hook`, `websocket`, or a custom channel code (`backport-channel-type`). */
  channelType: string;
  endpoint?: string;
  /** `channel.header` values, `Name: value`. */
  headers: string[];
  payloadMime?: string;
  content: PayloadContent;
  heartbeatSeconds?: number;
  timeoutSeconds?: number;
  maxCount?: number;
  /** Everything that changes matching or delivery (not status or error): a change re-handshakes. */
  fingerprint: string;
}

/** What {@link parseSubscription} checks against. */
export interface SubscriptionParseContext {
  topics: TopicRegistry;
  /** Channel codes with an implementation. */
  channelTypes: ReadonlySet<string>;
  registry?: SearchParameterRegistry;
}

const STATUSES = new Set(['requested', 'active', 'error', 'off']);
const CONTENTS = new Set(['empty', 'id-only', 'full-resource']);

const ext = (list: Extension[] | undefined, url: string) => list?.filter((e) => e.url === url) ?? [];

function positive(list: Extension[] | undefined, url: string, name: string): number | undefined {
  const e = ext(list, url)[0];
  if (!e) return undefined;
  const v = e.valueUnsignedInt ?? e.valuePositiveInt ?? (e as { valueInteger?: number }).valueInteger;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new FhirError('invalid', `${name} must be a non-negative integer`, {
      expression: ['Subscription.channel'],
    });
  return v;
}

/**
 * Parse and validate a Subscription; `FhirError('invalid')` (400) with a
 * message naming the problem when the server cannot run it.
 *
 * @example
 * ```ts
 * const sub = parseSubscription(
 *   { resourceType: 'Subscription', id: 's1', status: 'requested', reason: 'labs',
 *     criteria: 'Observation?code=http://loinc.org|1234-5',
 *     channel: { type: 'rest-hook', endpoint: 'https://example.org/hook', payload: 'application/fhir+json' } },
 *   { topics: new TopicRegistry(), channelTypes: new Set(['rest-hook']) },
 * );
 * sub.content; // 'full-resource'
 * ```
 */
export function parseSubscription(resource: unknown, context: SubscriptionParseContext): ParsedSubscription {
  const s = resource as SubscriptionResource;
  if (s?.resourceType !== 'Subscription') throw new FhirError('invalid', 'Not a Subscription');
  const status = s.status ?? 'requested';
  if (!STATUSES.has(status)) throw new FhirError('invalid', `Unknown Subscription.status ${status}`);
  const criteria = s.criteria?.trim();
  if (!criteria)
    throw new FhirError('invalid', 'Subscription.criteria is required', {
      expression: ['Subscription.criteria'],
    });
  const registry = context.registry ?? officialRegistry();

  let kind: ParsedSubscription['kind'];
  let topic: CompiledTopic | undefined;
  let filters: CompiledFilter[];
  const filterTexts = ext(s._criteria?.extension, BACKPORT.filterCriteria).map((e) => e.valueString ?? '');
  if (/^(https?|urn):/i.test(criteria)) {
    kind = 'topic';
    topic = context.topics.get(criteria);
    if (!topic)
      throw new FhirError('invalid', `Unknown subscription topic ${criteria}`, {
        expression: ['Subscription.criteria'],
      });
    const t = topic;
    filters = filterTexts.map((text) => {
      const f = parseCriteria(text, registry, (type) => t.types.has('*') || t.types.has(type));
      for (const c of f.clauses)
        if (!t.canFilter(f.resourceType, c.param.code))
          throw new FhirError(
            'invalid',
            `Topic ${criteria} cannot filter ${f.resourceType} by ${c.param.code}`,
          );
      return f;
    });
  } else {
    kind = 'criteria';
    if (filterTexts.length > 0)
      throw new FhirError(
        'invalid',
        'backport-filter-criteria needs a topic canonical in Subscription.criteria',
      );
    topic = context.topics.get(RESOURCE_CHANGE_TOPIC);
    if (!topic) throw new FhirError('invalid', `The ${RESOURCE_CHANGE_TOPIC} topic is not registered`);
    filters = [parseCriteria(criteria, registry)];
  }

  const channel = s.channel;
  if (!channel?.type) throw new FhirError('invalid', 'Subscription.channel.type is required');
  const custom = ext(channel._type?.extension, BACKPORT.channelType)[0]?.valueCoding?.code;
  const channelType = custom ?? channel.type;
  if (!context.channelTypes.has(channelType))
    throw new FhirError(
      'invalid',
      `Channel type ${channelType} is not supported (supported: ${[...context.channelTypes].join(', ')})`,
      {
        expression: ['Subscription.channel.type'],
      },
    );
  if (channelType === 'rest-hook') {
    if (!channel.endpoint || !/^https?:\/\/[^/]/i.test(channel.endpoint))
      throw new FhirError('invalid', 'A rest-hook subscription needs an http(s) channel.endpoint', {
        expression: ['Subscription.channel.endpoint'],
      });
  }
  for (const h of channel.header ?? [])
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/.test(h))
      throw new FhirError('invalid', `channel.header must be "Name: value": ${h}`);

  const contentExt = ext(channel._payload?.extension, BACKPORT.payloadContent)[0]?.valueCode;
  if (contentExt !== undefined && !CONTENTS.has(contentExt))
    throw new FhirError('invalid', `Unknown payload content ${contentExt} (empty, id-only, full-resource)`);
  const content = (contentExt ?? (channel.payload ? 'full-resource' : 'empty')) as PayloadContent;
  const heartbeatSeconds = positive(channel.extension, BACKPORT.heartbeatPeriod, 'backport-heartbeat-period');
  const timeoutSeconds = positive(channel.extension, BACKPORT.timeout, 'backport-timeout');
  const maxCount = positive(channel.extension, BACKPORT.maxCount, 'backport-max-count');
  if (maxCount === 0) throw new FhirError('invalid', 'backport-max-count must be positive');

  const parsed: Omit<ParsedSubscription, 'fingerprint'> = {
    id: s.id ?? '',
    status: status as SubscriptionStatusCode,
    kind,
    topicUrl: topic.definition.url,
    topic,
    filters,
    channelType,
    ...(channel.endpoint ? { endpoint: channel.endpoint } : {}),
    headers: channel.header ?? [],
    ...(channel.payload ? { payloadMime: channel.payload } : {}),
    content,
    ...(heartbeatSeconds ? { heartbeatSeconds } : {}),
    ...(timeoutSeconds ? { timeoutSeconds } : {}),
    ...(maxCount ? { maxCount } : {}),
  };
  const fingerprint = JSON.stringify([
    criteria,
    filterTexts,
    channelType,
    channel.endpoint,
    parsed.headers,
    channel.payload,
    content,
    heartbeatSeconds,
    timeoutSeconds,
    maxCount,
  ]);
  return { ...parsed, fingerprint };
}
