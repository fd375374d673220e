/**
 * The subscription engine: a projector that matches every write against the
 * indexed subscriptions and numbers the matches durably, delivery workers
 * that send them, the `$status` / `$events` / `$get-ws-binding-token`
 * operations, the Subscription write validator and the CapabilityStatement
 * additions.
 */
import {
  assertValidResource,
  type BackoffOptions,
  type ChangeEvent,
  type OperationHandler,
  type Projector,
  type ResourceStore,
  type SearchParameterRegistry,
} from '@fhirstream/core';
import type { NotificationType, SubscriptionStatusCode } from './backport.js';
import { addSubscriptionCapabilities, type CapabilityStatementLike } from './capabilities.js';
import { restHookChannel } from './channels/rest-hook.js';
import type { SubscriptionChannel } from './channels/types.js';
import { WebSocketHub } from './channels/websocket.js';
import { officialRegistry } from './criteria.js';
import { DeliveryWorker } from './delivery.js';
import type { Bundle } from './fhir-types.js';
import { type DeliveryState, SubscriptionLedger } from './ledger.js';
import { type MatchStats, matchEvent } from './matcher.js';
import { type NumberedEvent, notificationBundle } from './notification.js';
import { subscriptionOperations } from './operations.js';
import { type ParsedSubscription, parseSubscription } from './parse-subscription.js';
import { StatusWriter } from './status-writer.js';
import { SubscriptionIndex } from './subscription-index.js';
import { builtInTopics, type TopicDefinition, TopicRegistry } from './topics.js';

/** Options of {@link createSubscriptionEngine}. */
export interface SubscriptionEngineOptions {
  store: ResourceStore;
  /** Absolute FHIR base URL used in notifications (`https://host/fhir`). */
  baseUrl: string;
  /** Topics (default: resource-change, encounter-start, new-lab-result); add more later with `engine.topics.add`. */
  topics?: readonly TopicDefinition[];
  /** Extra channels (e.g. {@link brokerChannel}); rest-hook and websocket are built in. */
  channels?: SubscriptionChannel[];
  /** Search parameters for criteria and filters (default: the official R4 ones; pass the search engine's registry to include custom ones). */
  registry?: SearchParameterRegistry;
  /** Backoff of failing deliveries (default 1 s doubling to 5 min). */
  backoff?: BackoffOptions;
  /** Consecutive failures before a subscription shows `error` (default 3; a failed handshake: at once). */
  errorAfterFailures?: number;
  /** Events per notification when catching up, without `backport-max-count` (default 100). */
  maxEventsPerNotification?: number;
  /** Write status changes (`active`, `error`) into the Subscription resources (default true). */
  reflectStatus?: boolean;
  /** The websocket URL given out by `$get-ws-binding-token` (default `ws(s)://<base>/$websocket`). */
  websocketUrl?: (baseUrl: string) => string;
  /** Lifetime of websocket binding tokens (default 300 s). */
  tokenTtlSeconds?: number;
  /** Projector name (default `subscriptions`). */
  name?: string;
  /** Delivery failures and other background errors (default: ignored; they are retried). */
  onError?: (error: unknown, context: { subscriptionId?: string; attempts?: number }) => void;
}

/** A subscription's status as `$status` reports it. */
export interface SubscriptionState {
  id: string;
  topicUrl: string;
  status: SubscriptionStatusCode;
  eventsSinceStart: number;
  delivered: number;
  lastError?: string;
}

/** See {@link createSubscriptionEngine}. */
export interface SubscriptionEngine {
  /** Register with the server's runtime: `server.runtime.register(engine.projector)`. */
  readonly projector: Projector;
  /** `$status`, `$events`, `$get-ws-binding-token`: pass to `createFhirServer({ operations })`. */
  readonly operations: OperationHandler[];
  readonly topics: TopicRegistry;
  /** The websocket channel: `engine.websocket.attach(httpServer, '/fhir/$websocket')`. */
  readonly websocket: WebSocketHub;
  readonly stats: MatchStats;
  readonly baseUrl: string;
  /** `FhirError('invalid')` when a Subscription cannot run here. */
  validateSubscription(resource: unknown): ParsedSubscription;
  /** A `validate` for `createFhirServer`: `base` (default: core's R4 validation), then Subscriptions. */
  validator(
    base?: (resource: unknown, expectedType?: string) => void,
  ): (resource: unknown, expectedType?: string) => void;
  /** Add the topics to a CapabilityStatement. */
  capabilities<T extends CapabilityStatementLike>(cs: T): T;
  state(id: string): Promise<SubscriptionState | undefined>;
  /** Numbered events `from … to` of a subscription (from the durable record). */
  events(id: string, from: number, to: number): Promise<NumberedEvent[]>;
  /** A notification for a subscription (for `$events`, websocket handshakes). */
  notification(
    id: string,
    type: NotificationType,
    events?: NumberedEvent[],
    baseUrl?: string,
    content?: ParsedSubscription['content'],
  ): Promise<Bundle | undefined>;
  /** Index entry of a subscription (when active). */
  subscription(id: string): ParsedSubscription | undefined;
  /** Stop the delivery workers and close sockets (unregistering the projector is the runtime's job). */
  close(): Promise<void>;
}

const EVENT_CACHE = 5000;

/**
 * Build a subscription engine on a store.
 *
 * @example
 * ```ts
 * const subs = createSubscriptionEngine({ store, baseUrl: 'https://example.org/fhir' });
 * const server = await createFhirServer({ store, operations: subs.operations, validate: subs.validator() });
 * await server.runtime.register(subs.projector);
 * const http = createServer(toNodeHandler(createFhirHandler(server, { basePath: '/fhir' })));
 * subs.websocket.attach(http, '/fhir/$websocket');
 * ```
 */
export function createSubscriptionEngine(options: SubscriptionEngineOptions): SubscriptionEngine {
  const { store } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const registry = options.registry ?? officialRegistry();
  const topics = new TopicRegistry(options.topics ?? builtInTopics);
  const websocket = new WebSocketHub({ tokenTtlSeconds: options.tokenTtlSeconds ?? 300 });
  const channels = new Map<string, SubscriptionChannel>([
    ['rest-hook', restHookChannel()],
    ['websocket', websocket],
  ]);
  for (const c of options.channels ?? []) channels.set(c.type, c);
  const channelTypes = new Set(channels.keys());
  const ledger = new SubscriptionLedger(store.checkpoints);
  const index = new SubscriptionIndex();
  const workers = new Map<string, DeliveryWorker>();
  const seenVersion = new Map<string, number>();
  const cache = new Map<number, ChangeEvent>();
  const stats: MatchStats = { writes: 0, evaluated: 0, matched: 0 };
  const reportError = (error: unknown, context: { subscriptionId?: string; attempts?: number }) =>
    options.onError?.(error, context);
  const statusWriter = new StatusWriter(store, (e, subscriptionId) => reportError(e, { subscriptionId }));
  let closed = false;

  const parse = (resource: unknown) => parseSubscription(resource, { topics, channelTypes, registry });

  const reflectStatus = (sub: ParsedSubscription, status: SubscriptionStatusCode, error?: string) => {
    if (options.reflectStatus !== false && !closed) statusWriter.reflect(sub.id, status, error);
  };

  const eventsOf = async (sub: ParsedSubscription, from: number, to: number): Promise<NumberedEvent[]> => {
    const seqs = await ledger.eventSeqs(sub.id, from, to);
    const out: NumberedEvent[] = [];
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      const event = cache.get(seq) ?? (await store.readChanges(seq, 1))[0];
      if (!event || event.seq !== seq) throw new Error(`Change ${seq} is missing from the log`);
      const context = event.resource
        ? sub.topic.definition.additionalContext?.(event.resource as never)
        : undefined;
      out.push({ number: from + i, event, ...(context?.length ? { additionalContext: context } : {}) });
    }
    return out;
  };

  const bundleFor = (
    sub: ParsedSubscription,
    state: Pick<DeliveryState, 'status' | 'lastError'>,
    type: NotificationType,
    eventsSinceStart: number,
    events?: NumberedEvent[],
    base = baseUrl,
    content = sub.content,
  ): Bundle =>
    notificationBundle({
      baseUrl: base,
      subscriptionId: sub.id,
      topicUrl: sub.topicUrl,
      status: state.status,
      type,
      eventsSinceStart,
      content,
      ...(events ? { events } : {}),
      ...(state.status === 'error' && state.lastError ? { error: state.lastError } : {}),
    });

  const deliveryDeps = {
    ledger,
    channel: (type: string) => channels.get(type),
    events: eventsOf,
    bundle: (
      sub: ParsedSubscription,
      state: DeliveryState,
      type: NotificationType,
      since: number,
      events?: NumberedEvent[],
    ) => bundleFor(sub, state, type, since, events),
    backoff: { initialMs: 1000, maxMs: 300_000, ...options.backoff },
    errorAfterFailures: options.errorAfterFailures ?? 3,
    maxEventsPerNotification: options.maxEventsPerNotification ?? 100,
    onStatus: reflectStatus,
    onError: (sub: ParsedSubscription, error: unknown, attempts: number) =>
      reportError(error, { subscriptionId: sub.id, attempts }),
  };

  const deactivate = async (id: string) => {
    index.remove(id);
    const worker = workers.get(id);
    workers.delete(id);
    await worker?.stop();
  };

  const activate = async (sub: ParsedSubscription, versionId: number, createdSeq: number) => {
    index.upsert(sub, versionId, createdSeq);
    await ledger.load(sub.id);
    const worker = workers.get(sub.id);
    if (!worker) {
      const w = new DeliveryWorker(sub, deliveryDeps);
      workers.set(sub.id, w);
      if (!closed) w.start();
    } else if (
      worker.subscription.fingerprint !== sub.fingerprint ||
      (sub.status === 'requested' && worker.state?.status === 'error')
    )
      worker.update(sub);
  };

  const onSubscriptionChange = async (e: ChangeEvent) => {
    const version = Number(e.versionId);
    if ((seenVersion.get(e.id) ?? 0) >= version) return;
    seenVersion.set(e.id, version);
    if (e.action === 'delete') return deactivate(e.id);
    let sub: ParsedSubscription;
    try {
      sub = parse(e.resource);
    } catch (error) {
      reportError(error, { subscriptionId: e.id });
      return deactivate(e.id);
    }
    if (sub.status === 'off') return deactivate(e.id);
    const createdSeq =
      e.versionId === '1'
        ? e.seq
        : (index.get(e.id)?.createdSeq ?? (await store.readVersion('Subscription', e.id, '1'))?.seq ?? 0);
    await activate(sub, version, createdSeq);
  };

  const loadAll = async () => {
    const latest = new Map<string, { resource: unknown; versionId: string; deleted: boolean }>();
    for await (const v of store.history({ resourceType: 'Subscription' })) {
      if (!latest.has(v.id))
        latest.set(v.id, { resource: v.resource, versionId: v.versionId, deleted: v.deleted });
    }
    for (const [id, v] of latest) {
      const version = Number(v.versionId);
      if ((seenVersion.get(id) ?? 0) >= version) continue;
      seenVersion.set(id, version);
      if (v.deleted) continue;
      try {
        const sub = parse(v.resource);
        if (sub.status === 'off') continue;
        const created = (await store.readVersion('Subscription', id, '1'))?.seq ?? 0;
        await activate(sub, version, created);
      } catch (error) {
        reportError(error, { subscriptionId: id });
      }
    }
  };

  const projector: Projector = {
    name: options.name ?? 'subscriptions',
    version: 1,
    async activate() {
      await loadAll();
    },
    async apply(batch) {
      const pending = new Map<string, number[]>();
      for (const e of batch) {
        if (e.resourceType === 'Subscription') {
          await onSubscriptionChange(e);
          continue;
        }
        const matches = await matchEvent(e, index, store, registry, stats);
        for (const m of matches) {
          const id = m.sub.id;
          if (e.seq <= ledger.lastSeq(id)) continue; // numbered before a crash: never again
          const list = pending.get(id) ?? [];
          pending.set(id, list);
          list.push(e.seq);
        }
        if (matches.length > 0) {
          cache.set(e.seq, e);
          if (cache.size > EVENT_CACHE) cache.delete(cache.keys().next().value!);
        }
      }
      if (pending.size === 0) return;
      await ledger.append(pending);
      for (const id of pending.keys()) workers.get(id)?.wake();
    },
  };

  websocket.onBind = async (socket, ids) => {
    for (const id of ids) {
      const sub = index.get(id)?.sub;
      if (!sub) continue;
      const state = workers.get(id)?.state ?? { status: 'active' as const };
      await websocket.sendTo(
        socket,
        bundleFor(sub, { ...state, status: 'active' }, 'handshake', ledger.eventCount(id)),
      );
      workers.get(id)?.wake();
    }
  };

  const engine: SubscriptionEngine = {
    projector,
    operations: [],
    topics,
    websocket,
    stats,
    baseUrl,
    validateSubscription: (resource) => {
      const sub = parse(resource);
      channels.get(sub.channelType)?.validate?.(sub); // e.g. a broker topic the channel cannot publish to: 400
      return sub;
    },
    validator(base) {
      const first =
        base ?? ((r: unknown, t?: string) => assertValidResource(r, t ? { resourceType: t } : {}));
      return (resource, expectedType) => {
        first(resource, expectedType);
        if ((resource as { resourceType?: unknown })?.resourceType === 'Subscription')
          engine.validateSubscription(resource);
      };
    },
    capabilities: (cs) =>
      addSubscriptionCapabilities(
        cs,
        topics.all().map((t) => t.definition),
      ),
    async state(id) {
      const entry = index.get(id);
      const delivery = await ledger.delivery(id);
      const numbering = await ledger.load(id);
      const sub = entry?.sub;
      if (!sub && !delivery) return undefined;
      return {
        id,
        topicUrl: sub?.topicUrl ?? '',
        status: workers.get(id)?.state?.status ?? delivery?.status ?? sub?.status ?? 'off',
        eventsSinceStart: numbering.events,
        delivered: workers.get(id)?.state?.delivered ?? delivery?.delivered ?? 0,
        ...(delivery?.lastError ? { lastError: delivery.lastError } : {}),
      };
    },
    async events(id, from, to) {
      const sub = index.get(id)?.sub;
      if (!sub) return [];
      return eventsOf(sub, from, to);
    },
    async notification(id, type, events, base = baseUrl, content) {
      const sub = index.get(id)?.sub;
      if (!sub) return undefined;
      const s = await engine.state(id);
      const since =
        type === 'query-event' && events?.length
          ? events[events.length - 1]!.number
          : (s?.eventsSinceStart ?? 0);
      return bundleFor(
        sub,
        { status: s?.status ?? sub.status, ...(s?.lastError ? { lastError: s.lastError } : {}) },
        type,
        since,
        events,
        base,
        content ?? sub.content,
      );
    },
    subscription: (id) => index.get(id)?.sub,
    async close() {
      closed = true;
      await Promise.all([...workers.values()].map((w) => w.stop()));
      await statusWriter.settled();
      for (const c of channels.values()) await c.close?.();
    },
  };
  (engine.operations as OperationHandler[]).push(...subscriptionOperations(engine, websocketUrlOf(options)));
  return engine;
}

function websocketUrlOf(options: SubscriptionEngineOptions): (baseUrl: string) => string {
  return options.websocketUrl ?? ((base) => `${base.replace(/^http/i, 'ws')}/$websocket`);
}
