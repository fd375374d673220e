/**
 * CapabilityStatement additions of a Backport subscription server: the
 * topics on the `Subscription` resource (`capabilitystatement-subscriptiontopic-canonical`)
 * and `instantiates` the Backport server CapabilityStatement.
 */
import { BACKPORT } from './backport.js';
import type { Extension } from './fhir-types.js';
import type { TopicDefinition } from './topics.js';

/** The parts of a CapabilityStatement touched here. */
export interface CapabilityStatementLike {
  instantiates?: string[];
  rest?: Array<{
    resource?: Array<{ type: string; extension?: Extension[]; [k: string]: unknown }>;
    [k: string]: unknown;
  }>;
  [k: string]: unknown;
}

/**
 * Add the topics to a CapabilityStatement (returns a copy).
 *
 * @example
 * ```ts
 * const cs = addSubscriptionCapabilities(server.capabilityStatement(base), engine.topics.all().map((t) => t.definition));
 * ```
 */
export function addSubscriptionCapabilities<T extends CapabilityStatementLike>(
  cs: T,
  topics: readonly TopicDefinition[],
): T {
  const rest = (cs.rest ?? [{ mode: 'server', resource: [] }]).map((r, i) => {
    if (i > 0) return r;
    const resources = [...(r.resource ?? [])];
    let at = resources.findIndex((x) => x.type === 'Subscription');
    if (at < 0) {
      resources.push({ type: 'Subscription' });
      at = resources.length - 1;
    }
    const sub = resources[at]!;
    const kept = (sub.extension ?? []).filter((e) => e.url !== BACKPORT.topicCanonical);
    resources[at] = {
      ...sub,
      extension: [...kept, ...topics.map((t) => ({ url: BACKPORT.topicCanonical, valueCanonical: t.url }))],
      supportedProfile: [
        ...new Set([...((sub.supportedProfile as string[] | undefined) ?? []), BACKPORT.subscriptionProfile]),
      ],
    };
    return { ...r, resource: resources };
  });
  const instantiates = [...new Set([...(cs.instantiates ?? []), BACKPORT.serverCapabilityStatement])];
  return { ...cs, instantiates, rest };
}

/** The smallest shape of a server to decorate. */
interface ServerLike {
  handle(
    ctx: never,
    request: { method: string; path: string },
  ): Promise<{ status: number; resource?: unknown }>;
  capabilityStatement(baseUrl: string): unknown;
}

/**
 * Decorate a FhirServer so that `metadata` and `capabilityStatement()` pass
 * through `transform` — until core's `createFhirServer` takes a
 * CapabilityStatement hook.
 *
 * @example
 * ```ts
 * const server = withCapabilities(await createFhirServer({ store, operations: engine.operations }), (cs) => engine.capabilities(cs));
 * ```
 */
export function withCapabilities<S extends ServerLike>(server: S, transform: (cs: never) => unknown): S {
  const handle = server.handle.bind(server);
  const proxy = Object.create(server) as S;
  Object.assign(proxy, {
    async handle(ctx: never, request: { method: string; path: string }) {
      const res = await handle(ctx, request);
      if (request.method === 'GET' && request.path.replace(/^\/+|\/+$/g, '') === 'metadata' && res.resource)
        return { ...res, resource: transform(res.resource as never) };
      return res;
    },
    capabilityStatement: (baseUrl: string) => transform(server.capabilityStatement(baseUrl) as never),
  });
  return proxy;
}
