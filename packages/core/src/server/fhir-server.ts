import type { CapabilityStatement } from 'fhir/r4';
import type { RequestContext } from '../context/request-context.js';
import { FhirError } from '../errors/fhir-error.js';
import { createProjectorRuntime, type ProjectorRuntime } from '../projection/runtime.js';
import type { SearchEngine } from '../search/types.js';
import type { ResourceStore } from '../store/create-store.js';
import { assertValidResource } from '../validation/index.js';
import { processBatch } from './bundle/batch.js';
import { checkBundle } from './bundle/check-bundle.js';
import { processTransaction } from './bundle/transaction.js';
import { capabilityStatement, type SoftwareInfo } from './capabilities.js';
import { AsyncMutex } from './conditional.js';
import { parseInteraction } from './interaction.js';
import { historyBundle, readResource, vreadResource } from './read-ops.js';
import { assertUsableSearchParameter, followSearchParameters } from './runtime-search-parameters.js';
import { searchBundle } from './search-ops.js';
import { callerTerminologySource } from './search-terminology.js';
import { awaitProjections, type ServerDeps, type ServerLimits, visible } from './server-context.js';
import { terminologyOperations } from './terminology/index.js';
import type {
  AccessPolicy,
  FhirRequest,
  FhirResponse,
  OperationHandler,
  OperationServices,
} from './types.js';
import { validateOperation } from './validate-operation.js';
import {
  conditionalDelete,
  conditionalPatch,
  conditionalUpdate,
  createResource,
  deleteResource,
  patchResource,
  updateResource,
} from './write-ops.js';

/** Options of {@link createFhirServer}. */
export interface FhirServerOptions {
  store: ResourceStore;
  /** The search engine (e.g. `createLmdbSearchEngine`); without it search and conditional interactions answer not-supported. */
  search?: SearchEngine;
  /** The projector runtime; one is created (and stopped on close) when omitted. */
  runtime?: ProjectorRuntime;
  /** Structural validation of incoming resources (default: the R4 definitions); `false` turns it off. */
  validate?: false | ((resource: unknown, expectedType?: string) => void);
  access?: AccessPolicy;
  operations?: OperationHandler[];
  limits?: Partial<ServerLimits>;
  software?: SoftwareInfo;
  /** Adjust the generated CapabilityStatement (e.g. to advertise SubscriptionTopics). */
  capabilityStatement?: (cs: CapabilityStatement, baseUrl: string) => CapabilityStatement;
}

/** A FHIR R4 server, free of any HTTP framework: give it a {@link FhirRequest}, get a {@link FhirResponse}. */
export interface FhirServer {
  handle(ctx: RequestContext, request: FhirRequest): Promise<FhirResponse>;
  capabilityStatement(baseUrl: string): CapabilityStatement;
  readonly store: ResourceStore;
  readonly runtime: ProjectorRuntime;
  readonly limits: ServerLimits;
  /** Stop the projectors (and the runtime, if the server created it). The store stays open: its owner closes it. */
  close(): Promise<void>;
}

/**
 * Build a FHIR server on a store, registering the search engine's projectors.
 *
 * @example
 * ```ts
 * const store = openLmdbStore({ path: './.data' });
 * const server = await createFhirServer({ store, search: createLmdbSearchEngine({ store }) });
 * const res = await server.handle(requestContext(), { method: 'GET', path: 'Patient/1', params: [], baseUrl: 'http://x/fhir' });
 * ```
 */
export async function createFhirServer(options: FhirServerOptions): Promise<FhirServer> {
  const ownRuntime = !options.runtime;
  const runtime = options.runtime ?? createProjectorRuntime(options.store);
  const validateResource =
    options.validate === false
      ? () => {}
      : (options.validate ??
        ((resource: unknown, expectedType?: string) =>
          assertValidResource(resource, expectedType ? { resourceType: expectedType } : {})));
  const validate = (resource: unknown, expectedType?: string) => {
    validateResource(resource, expectedType);
    if (options.search?.registry) assertUsableSearchParameter(resource);
  };
  const limits: ServerLimits = {
    maxBundleEntries: 20_000,
    defaultCount: 50,
    maxCount: 1000,
    consistencyTimeoutMs: 10_000,
    maxProjectionLag: 10_000,
    ...options.limits,
  };
  // Built-in operations first: one registered with the same name replaces it.
  const operations = new Map<string, OperationHandler>(
    [validateOperation, ...terminologyOperations].map((op) => [op.name, op]),
  );
  for (const op of options.operations ?? []) operations.set(op.name, op);
  const search = options.search;
  /** Wait until the search projectors have applied `seq`, at most `consistencyTimeoutMs`. */
  const searchReaches = (seq: number) =>
    runtime.waitFor(seq, {
      timeoutMs: limits.consistencyTimeoutMs,
      projectors: search?.projectors.map((p) => p.name),
    });
  const deps: ServerDeps = {
    store: options.store,
    runtime,
    search,
    access: options.access ?? {},
    validate,
    operations,
    limits,
    conditionalLock: new AsyncMutex(),
    async settle(seq) {
      if (!search || !seq) return;
      await searchReaches(seq);
    },
    async admitWrite() {
      if (!search || limits.maxProjectionLag <= 0) return;
      const target = (await options.store.headSeq()) - limits.maxProjectionLag;
      if (target <= 0) return;
      try {
        await searchReaches(target);
      } catch (error) {
        if (!(error instanceof FhirError) || error.code !== 'timeout') throw error;
        throw new FhirError(
          'timeout',
          `The search index is more than ${limits.maxProjectionLag} changes behind and did not catch up within ${limits.consistencyTimeoutMs} ms; nothing was written, retry later`,
          { headers: { 'Retry-After': String(Math.max(1, Math.ceil(limits.consistencyTimeoutMs / 2000))) } },
        );
      }
    },
  };
  for (const projector of search?.projectors ?? []) await runtime.register(projector);
  const searchParameters = search ? await followSearchParameters(options.store, search, runtime) : undefined;
  deps.searchParametersReady = () => searchParameters?.caughtUp() ?? Promise.resolve();

  const capabilities = (baseUrl: string): CapabilityStatement => {
    const cs = capabilityStatement(deps, baseUrl, options.software);
    return options.capabilityStatement ? options.capabilityStatement(cs, baseUrl) : cs;
  };

  const services: OperationServices = {
    store: options.store,
    runtime,
    search,
    canRead: (ctx, resource) => visible(deps, ctx, resource),
    awaitProjections: (ctx) => awaitProjections(deps, ctx),
    handle: (ctx, request) => handle(ctx, request),
    async terminology(ctx) {
      await awaitProjections(deps, ctx);
      return callerTerminologySource(deps, ctx);
    },
  };

  const handle = async (ctx: RequestContext, request: FhirRequest): Promise<FhirResponse> => {
    const it = parseInteraction(request.method, request.path, request.params);
    switch (it.kind) {
      case 'capabilities':
        return { status: 200, resource: capabilities(request.baseUrl) };
      case 'read':
        return readResource(deps, ctx, request, it.type, it.id);
      case 'vread':
        return vreadResource(deps, ctx, request, it.type, it.id, it.versionId);
      case 'create':
        return createResource(deps, ctx, request, it.type);
      case 'update':
        return updateResource(deps, ctx, request, it.type, it.id);
      case 'conditional-update':
        return conditionalUpdate(deps, ctx, request, it.type, it.params);
      case 'patch':
        return patchResource(deps, ctx, request, it.type, it.id);
      case 'conditional-patch':
        return conditionalPatch(deps, ctx, request, it.type, it.params);
      case 'delete':
        return deleteResource(deps, ctx, request, it.type, it.id);
      case 'conditional-delete':
        return conditionalDelete(deps, ctx, request, it.type, it.params);
      case 'history':
        return historyBundle(deps, ctx, request, it.type, it.id);
      case 'search':
        return searchBundle(deps, ctx, request, {
          ...(it.type ? { type: it.type } : {}),
          ...(it.compartment ? { compartment: it.compartment } : {}),
        });
      case 'bundle': {
        const bundle = checkBundle(deps, request.body);
        return bundle.type === 'transaction'
          ? processTransaction(deps, ctx, request, bundle, handle)
          : processBatch(deps, ctx, request, bundle, handle);
      }
      case 'operation': {
        const op = operations.get(it.name);
        const level = it.id ? 'instance' : it.type ? 'type' : 'system';
        if (!op?.scope[level] || (it.type && op.scope.types && !op.scope.types.includes(it.type))) {
          throw new FhirError('not-found', `Unknown operation $${it.name} at ${level} level`);
        }
        const opRequest = {
          ...request,
          ...(it.type ? { type: it.type } : {}),
          ...(it.id ? { id: it.id } : {}),
          operationParams: it.params,
        };
        return op.handle(ctx, opRequest, services);
      }
    }
  };

  return {
    handle,
    capabilityStatement: capabilities,
    store: options.store,
    runtime,
    limits,
    async close() {
      searchParameters?.stop();
      if (ownRuntime) {
        await runtime.stop();
        await options.search?.close?.();
      }
    },
  };
}
