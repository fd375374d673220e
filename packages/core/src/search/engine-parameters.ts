import type { SearchParameterDefinition } from '../definitions/index.js';
import type { ProjectorRuntime } from '../projection/runtime.js';
import { parseSearchRequest } from './query/parse-request.js';
import type { ParsedSearch } from './query/types.js';
import type { SearchParameterRegistry } from './registry.js';
import type { SearchRequest, SupportedSearchParam } from './types.js';

/** Result parameters no engine implements yet (answered not-supported). */
const UNSUPPORTED_PARAMS = new Set(['_query', '_filter']);

/**
 * What every search engine does the same way with its parameters: which
 * ones it supports (for the CapabilityStatement), and the runtime-added ones
 * still being backfilled (a search using one is not ready yet).
 *
 * @example
 * ```ts
 * const parameters = new EngineParameters(registry, 'search-index');
 * parameters.supported('Patient');              // for parametersFor()
 * await parameters.add(definition, runtime);    // register + rebuild the index
 * parameters.notReady('Patient', 'my-param');   // a message while it backfills
 * ```
 */
export class EngineParameters {
  /** Runtime parameters still being backfilled: url → definition. */
  readonly #pending = new Map<string, SearchParameterDefinition>();

  constructor(
    readonly registry: SearchParameterRegistry,
    /** The projector whose rebuild backfills a new parameter. */
    private readonly indexProjector: string,
  ) {}

  /** The parameters of a type the engine answers (`_query`/`_filter` and special ones but `_text` are not supported). */
  supported(resourceType: string): SupportedSearchParam[] {
    return this.registry
      .forType(resourceType)
      .filter((p) => !UNSUPPORTED_PARAMS.has(p.code) && (p.type !== 'special' || p.code === '_text'))
      .map((p) => ({ name: p.code, type: p.type, definition: p.url }));
  }

  /** Register a parameter and rebuild the index in the background; resolves once it is indexed. */
  async add(definition: SearchParameterDefinition, runtime: ProjectorRuntime | undefined): Promise<void> {
    if (!runtime) throw new Error('addSearchParameter needs the projector runtime (pass it in the options)');
    this.registry.add(definition);
    this.#pending.set(definition.url, definition);
    try {
      await runtime.rebuild(this.indexProjector);
    } finally {
      this.#pending.delete(definition.url);
    }
  }

  /** Parse a search against these parameters (runtime ones still backfilling are not ready). */
  parse(request: SearchRequest, limits: { defaultCount?: number; maxCount?: number }): ParsedSearch {
    return parseSearchRequest(request, {
      lookup: this.registry,
      notReady: this.notReady,
      ...(request.terminology ? { terminology: request.terminology } : {}),
      ...(limits.defaultCount !== undefined ? { defaultCount: limits.defaultCount } : {}),
      ...(limits.maxCount !== undefined ? { maxCount: limits.maxCount } : {}),
    });
  }

  /** Why a parameter cannot be used yet (it is still being backfilled), or undefined. */
  readonly notReady = (resourceType: string, code: string): string | undefined => {
    for (const def of this.#pending.values()) {
      if (def.code !== code) continue;
      if (
        resourceType === '*' ||
        def.base.some((b) => b === resourceType || b === 'Resource' || b === 'DomainResource')
      ) {
        return `Search parameter ${code} is still being indexed`;
      }
    }
    return undefined;
  };
}
