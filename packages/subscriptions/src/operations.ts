/**
 * The Backport IG operations on `Subscription`:
 * `$status` (instance, or type with `id` parameters), `$events` (instance;
 * `eventsSinceNumber`, `eventsUntilNumber`, `content`) and
 * `$get-ws-binding-token` (instance, or type with `id` parameters).
 */
import { FhirError, type FhirRequest, type OperationHandler, type RequestContext } from '@fhirstream/core';
import type { PayloadContent } from './backport.js';
import type { SubscriptionEngine } from './engine.js';
import type { ParametersResource } from './fhir-types.js';
import { statusBundle, statusParameters } from './notification.js';

type OpRequest = Parameters<OperationHandler['handle']>[1];
type OperationServices = Parameters<OperationHandler['handle']>[2];

/** Largest `$events` window. */
const MAX_EVENTS = 1000;

/** Values of an operation parameter: from the query, or from a posted `Parameters`. */
function paramValues(request: OpRequest, name: string): string[] {
  const out = request.operationParams.filter(([n]) => n === name).map(([, v]) => v);
  const body = request.body as ParametersResource | undefined;
  if (body?.resourceType === 'Parameters')
    for (const p of body.parameter ?? []) {
      if (p.name !== name) continue;
      const value = Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
      if (value !== undefined) out.push(String(value));
    }
  return out;
}

function intParam(request: OpRequest, name: string): number | undefined {
  const v = paramValues(request, name)[0];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new FhirError('invalid', `${name} must be a non-negative integer`);
  return Number(v);
}

async function visibleSubscription(ctx: RequestContext, id: string, services: OperationServices) {
  const stored = await services.store.read('Subscription', id);
  if (!stored || !(await services.canRead(ctx, stored)))
    throw new FhirError('not-found', `Subscription/${id} is not known`);
  if (stored.deleted) throw new FhirError('gone', `Subscription/${id} was deleted`);
  return stored;
}

function idsOf(request: OpRequest): string[] {
  if (request.id) return [request.id];
  const ids = paramValues(request, 'id').flatMap((v) => v.split(','));
  if (ids.length === 0)
    throw new FhirError('invalid', 'Give one or more id parameters (or call the operation on an instance)');
  return ids;
}

const scope = { type: true, instance: true, types: ['Subscription'] };

/**
 * The operation handlers of an engine (what `engine.operations` holds).
 *
 * @example
 * ```ts
 * // GET [base]/Subscription/s1/$events?eventsSinceNumber=5&eventsUntilNumber=9&content=id-only
 * await createFhirServer({ store, operations: engine.operations });
 * ```
 */
export function subscriptionOperations(
  engine: SubscriptionEngine,
  websocketUrl: (baseUrl: string) => string,
): OperationHandler[] {
  const status: OperationHandler = {
    name: 'status',
    scope,
    async handle(ctx, request, services) {
      const wanted = new Set(paramValues(request, 'status'));
      const statuses: ParametersResource[] = [];
      for (const id of idsOf(request)) {
        const stored = await visibleSubscription(ctx, id, services);
        const state = await engine.state(id);
        const resource = stored.resource as { status?: string; criteria?: string } | undefined;
        const current = state?.status ?? (resource?.status as 'off') ?? 'off';
        if (wanted.size > 0 && !wanted.has(current)) continue;
        statuses.push(
          statusParameters({
            baseUrl: request.baseUrl,
            subscriptionId: id,
            topicUrl: engine.subscription(id)?.topicUrl ?? state?.topicUrl ?? resource?.criteria ?? '',
            status: current,
            type: 'query-status',
            eventsSinceStart: state?.eventsSinceStart ?? 0,
            ...(current === 'error' && state?.lastError ? { error: state.lastError } : {}),
          }),
        );
      }
      return { status: 200, resource: statusBundle(statuses) as never };
    },
  };

  const events: OperationHandler = {
    name: 'events',
    scope: { instance: true, types: ['Subscription'] },
    async handle(ctx, request: OpRequest, services) {
      const id = request.id!;
      await visibleSubscription(ctx, id, services);
      const state = await engine.state(id);
      if (!state || !engine.subscription(id))
        throw new FhirError(
          'unprocessable',
          `Subscription/${id} is not active; its events cannot be replayed`,
        );
      const total = state.eventsSinceStart;
      const until = Math.min(intParam(request, 'eventsUntilNumber') ?? total, total);
      const since = Math.max(1, intParam(request, 'eventsSinceNumber') ?? until - 99);
      if (until - since + 1 > MAX_EVENTS)
        throw new FhirError(
          'too-large',
          `At most ${MAX_EVENTS} events per $events call (asked ${since}…${until})`,
        );
      const content = paramValues(request, 'content')[0] as PayloadContent | undefined;
      if (content !== undefined && !['empty', 'id-only', 'full-resource'].includes(content))
        throw new FhirError('invalid', `content must be empty, id-only or full-resource`);
      const list = since <= until ? await engine.events(id, since, until) : [];
      const visible = [];
      for (const e of list) {
        // Notifications are a read path: the access policy sees every focus.
        const stored = await services.store.readVersion(e.event.resourceType, e.event.id, e.event.versionId);
        if (!stored || (await services.canRead(ctx, stored))) visible.push(e);
      }
      const bundle = await engine.notification(id, 'query-event', visible, request.baseUrl, content);
      return { status: 200, resource: bundle as never };
    },
  };

  const token: OperationHandler = {
    name: 'get-ws-binding-token',
    scope,
    async handle(
      ctx,
      request: FhirRequest & { id?: string; operationParams: OpRequest['operationParams'] },
      services,
    ) {
      const ids = idsOf(request as OpRequest);
      for (const id of ids) {
        await visibleSubscription(ctx, id, services);
        const sub = engine.subscription(id);
        if (!sub) throw new FhirError('unprocessable', `Subscription/${id} is not active`);
        if (sub.channelType !== 'websocket')
          throw new FhirError('invalid', `Subscription/${id} does not use the websocket channel`);
      }
      const { token: value, expiration } = engine.websocket.issueToken(ids);
      const parameters: ParametersResource = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'token', valueString: value },
          { name: 'expiration', valueDateTime: expiration.toISOString() },
          ...ids.map((id) => ({ name: 'subscription', valueString: id })),
          { name: 'websocket-url', valueUrl: websocketUrl(request.baseUrl) },
        ],
      };
      return { status: 200, resource: parameters as never };
    },
  };

  return [status, events, token];
}
