/**
 * Subscription topics: defined in code or loaded from R4B-style
 * `SubscriptionTopic` JSON. A topic says which writes fire it (resource
 * triggers with interactions, query criteria on the previous / current
 * version, FHIRPath criteria with `%previous` / `%current`) and by which
 * search parameters subscribers may filter.
 */
import { type ChangeAction, FhirError, isResourceType } from '@fhirstream/core';
import { RESOURCE_CHANGE_TOPIC } from './backport.js';
import { type CompiledFilter, matchesFilter, parseCriteria, ResourceValues } from './criteria.js';
import { compileTopicCriteria } from './fhirpath-engine.js';

/** R4B `SubscriptionTopic.resourceTrigger.queryCriteria`: search criteria on the previous and current versions. */
export interface TopicQueryCriteria {
  /** Query on the previous version, e.g. `status:not=in-progress` (no type, no `?`). */
  previous?: string;
  /** What an absent previous version (a create) counts as. Default `test-passes`. */
  resultForCreate?: 'test-passes' | 'test-fails';
  current?: string;
  /** What an absent current version (a delete) counts as. Default `test-passes`. */
  resultForDelete?: 'test-passes' | 'test-fails';
  /** Both tests must pass (default true); else either. */
  requireBoth?: boolean;
}

/** One resource trigger of a topic. */
export interface TopicTrigger {
  /** A resource type, or `*` for any. */
  resource: string;
  supportedInteraction: ChangeAction[];
  queryCriteria?: TopicQueryCriteria;
  /** FHIRPath that must be `true`, with `%current` and `%previous` (empty when absent). */
  fhirPathCriteria?: string;
  /** A predicate in code, besides the criteria above. */
  matches?(current: object | undefined, previous: object | undefined): boolean;
  description?: string;
}

/** A parameter subscribers may filter by. */
export interface TopicFilter {
  /** A resource type, or `*` for any. */
  resource: string;
  /** A search parameter code, or `*` for any search parameter of the type. */
  filterParameter: string;
  modifier?: string[];
  description?: string;
}

/** A subscription topic. */
export interface TopicDefinition {
  url: string;
  title?: string;
  version?: string;
  description?: string;
  resourceTrigger: TopicTrigger[];
  canFilterBy: TopicFilter[];
  /** References to add as `additional-context` of an event (e.g. the encounter's patient). */
  additionalContext?(resource: Record<string, unknown>): string[];
}

/** A topic with its criteria compiled. */
export interface CompiledTopic {
  definition: TopicDefinition;
  /** Resource types it triggers on (`*` = any). */
  types: Set<string>;
  /** Whether a write fires the topic. `current`/`previous` are the versions after / before. */
  fires(
    type: string,
    action: ChangeAction,
    current: object | undefined,
    previous: object | undefined,
  ): boolean;
  /** Whether a trigger of the topic needs the previous version. */
  needsPrevious(type: string): boolean;
  /** Whether `code` of `type` may be used in a filter. */
  canFilter(type: string, code: string): boolean;
}

interface CompiledTrigger {
  trigger: TopicTrigger;
  fhirPath?: (current: unknown, previous: unknown) => boolean;
  previous?: CompiledFilter;
  current?: CompiledFilter;
}

// biome-ignore lint/suspicious/noExplicitAny: SubscriptionTopic JSON is read loosely.
type Json = any;

const bareType = (resource: string) => resource.replace(/^.*\/StructureDefinition\//, '');

/**
 * Compile a topic, checking its types, queries and FHIRPath.
 *
 * @example
 * ```ts
 * const topic = compileTopic(encounterStartTopic);
 * topic.fires('Encounter', 'update', { resourceType: 'Encounter', status: 'in-progress' }, { resourceType: 'Encounter', status: 'planned' }); // true
 * ```
 */
export function compileTopic(definition: TopicDefinition): CompiledTopic {
  const byType = new Map<string, CompiledTrigger[]>();
  for (const trigger of definition.resourceTrigger) {
    const type = bareType(trigger.resource);
    if (type !== '*' && !isResourceType(type))
      throw new FhirError('invalid', `Topic ${definition.url}: unknown resource ${trigger.resource}`);
    const q = trigger.queryCriteria;
    const compiled: CompiledTrigger = {
      trigger,
      ...(trigger.fhirPathCriteria ? { fhirPath: compileTopicCriteria(trigger.fhirPathCriteria) } : {}),
      ...(q?.previous && type !== '*' ? { previous: parseCriteria(`${type}?${q.previous}`) } : {}),
      ...(q?.current && type !== '*' ? { current: parseCriteria(`${type}?${q.current}`) } : {}),
    };
    byType.set(type, [...(byType.get(type) ?? []), compiled]);
  }
  const filters = definition.canFilterBy.map((f) => ({ ...f, resource: bareType(f.resource) }));
  const triggersFor = (type: string) => [...(byType.get(type) ?? []), ...(byType.get('*') ?? [])];
  return {
    definition,
    types: new Set(byType.keys()),
    fires(type, action, current, previous) {
      return triggersFor(type).some((t) => triggerFires(t, action, current, previous));
    },
    needsPrevious(type) {
      return triggersFor(type).some((t) => t.fhirPath || t.previous || t.trigger.matches);
    },
    canFilter(type, code) {
      return filters.some(
        (f) =>
          (f.resource === '*' || f.resource === type) &&
          (f.filterParameter === '*' || f.filterParameter === code),
      );
    },
  };
}

function triggerFires(
  t: CompiledTrigger,
  action: ChangeAction,
  current: object | undefined,
  previous: object | undefined,
): boolean {
  if (!t.trigger.supportedInteraction.includes(action)) return false;
  const q = t.trigger.queryCriteria;
  if (q && (t.previous || t.current)) {
    const prevOk = previous
      ? t.previous
        ? matchesFilter(t.previous, new ResourceValues(previous as { resourceType: string }))
        : true
      : (q.resultForCreate ?? 'test-passes') === 'test-passes';
    const curOk = current
      ? t.current
        ? matchesFilter(t.current, new ResourceValues(current as { resourceType: string }))
        : true
      : (q.resultForDelete ?? 'test-passes') === 'test-passes';
    if (q.requireBoth === false ? !(prevOk || curOk) : !(prevOk && curOk)) return false;
  }
  if (t.fhirPath && !t.fhirPath(current, previous)) return false;
  if (t.trigger.matches && !t.trigger.matches(current, previous)) return false;
  return true;
}

/**
 * A topic from R4B-style `SubscriptionTopic` JSON (`resourceTrigger`,
 * `canFilterBy`; `eventTrigger` is not supported).
 *
 * @example
 * ```ts
 * const topic = topicFromResource(JSON.parse(await readFile('encounter-complete.json', 'utf8')));
 * engine.topics.add(topic);
 * ```
 */
export function topicFromResource(json: unknown): TopicDefinition {
  const r = json as Record<string, Json>;
  if (r?.resourceType !== 'SubscriptionTopic' || typeof r.url !== 'string')
    throw new FhirError('invalid', 'Expected a SubscriptionTopic with a url');
  return {
    url: r.url,
    ...(r.title ? { title: r.title } : {}),
    ...(r.version ? { version: r.version } : {}),
    ...(r.description ? { description: r.description } : {}),
    resourceTrigger: (r.resourceTrigger ?? []).map((t: Record<string, Json>) => ({
      resource: bareType(String(t.resource)),
      supportedInteraction: t.supportedInteraction ?? ['create', 'update', 'delete'],
      ...(t.queryCriteria ? { queryCriteria: t.queryCriteria } : {}),
      ...(t.fhirPathCriteria ? { fhirPathCriteria: t.fhirPathCriteria } : {}),
      ...(t.description ? { description: t.description } : {}),
    })),
    canFilterBy: (r.canFilterBy ?? []).map((f: Record<string, Json>) => ({
      resource: bareType(String(f.resource ?? '*')),
      filterParameter: String(f.filterParameter),
      ...(f.modifier ? { modifier: f.modifier } : {}),
      ...(f.description ? { description: f.description } : {}),
    })),
  };
}

/** `https://fhirstream.dev/SubscriptionTopic/resource-change`: any create/update/delete, filterable by any search parameter. */
export const resourceChangeTopic: TopicDefinition = {
  url: RESOURCE_CHANGE_TOPIC,
  title: 'Resource change',
  description:
    'Any create, update or delete of any resource. Filter with `Type?param=value` (e.g. `Observation?code=http://loinc.org|1234-5`); a filter restricts the types notified.',
  resourceTrigger: [{ resource: '*', supportedInteraction: ['create', 'update', 'delete'] }],
  canFilterBy: [{ resource: '*', filterParameter: '*' }],
};

/** An encounter starts: it is created, or updated, to `in-progress`. */
export const encounterStartTopic: TopicDefinition = {
  url: 'https://fhirstream.dev/SubscriptionTopic/encounter-start',
  title: 'Encounter start',
  resourceTrigger: [
    {
      resource: 'Encounter',
      supportedInteraction: ['create', 'update'],
      fhirPathCriteria:
        "%current.status = 'in-progress' and (%previous.empty() or %previous.status != 'in-progress')",
    },
  ],
  canFilterBy: ['patient', 'subject', 'class', 'location', 'service-provider', 'type'].map((p) => ({
    resource: 'Encounter',
    filterParameter: p,
  })),
  additionalContext: (r) => {
    const ref = (r.subject as { reference?: string } | undefined)?.reference;
    return ref ? [ref] : [];
  },
};

/** A laboratory result becomes final (or amended / corrected). */
export const newLabResultTopic: TopicDefinition = {
  url: 'https://fhirstream.dev/SubscriptionTopic/new-lab-result',
  title: 'New lab result',
  resourceTrigger: [
    {
      resource: 'Observation',
      supportedInteraction: ['create', 'update'],
      fhirPathCriteria:
        "%current.category.coding.where(system = 'http://terminology.hl7.org/CodeSystem/observation-category' and code = 'laboratory').exists() and %current.status in ('final' | 'amended' | 'corrected') and (%previous.empty() or %previous.status != %current.status)",
    },
  ],
  canFilterBy: ['patient', 'subject', 'code', 'category', 'performer'].map((p) => ({
    resource: 'Observation',
    filterParameter: p,
  })),
};

/** The topics every engine knows unless told otherwise. */
export const builtInTopics: readonly TopicDefinition[] = [
  resourceChangeTopic,
  encounterStartTopic,
  newLabResultTopic,
];

/** The topics of an engine, by canonical URL (`url` or `url|version`). */
export class TopicRegistry {
  readonly #topics = new Map<string, CompiledTopic>();

  constructor(topics: readonly TopicDefinition[] = builtInTopics) {
    for (const t of topics) this.add(t);
  }

  /** Add (or replace) a topic, from code or from `SubscriptionTopic` JSON. */
  add(topic: TopicDefinition | { resourceType: 'SubscriptionTopic' }): CompiledTopic {
    const definition = 'resourceType' in topic ? topicFromResource(topic) : topic;
    const compiled = compileTopic(definition);
    this.#topics.set(definition.url, compiled);
    return compiled;
  }

  /** A topic by canonical (a `|version` suffix is ignored). */
  get(canonical: string): CompiledTopic | undefined {
    return this.#topics.get(canonical.split('|')[0]!);
  }

  all(): CompiledTopic[] {
    return [...this.#topics.values()];
  }
}
