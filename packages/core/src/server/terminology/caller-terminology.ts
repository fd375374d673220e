/**
 * The terminology one operation call works with: official definitions plus
 * the stored ValueSets and CodeSystems the caller may read (read through
 * `OperationServices.terminology`, so the access policy applies exactly as
 * for `:in` searches). Finds the ValueSet an operation is about, expands it
 * with displays, and finds a code system's concepts.
 */
import type { CodeSystem, ValueSet } from 'fhir/r4';
import type { RequestContext } from '../../context/request-context.js';
import { FhirError } from '../../errors/fhir-error.js';
import { canonicalKey, parseCanonical, valueSetKey } from '../../terminology/canonical.js';
import type { CodeSystemConcepts, CompactValueSetHeader } from '../../terminology/concepts.js';
import { expandValueSet } from '../../terminology/expand.js';
import { describeExpansion, type ExpansionEntry, ownDetails } from '../../terminology/expansion-details.js';
import { officialConcepts, officialValueSet, officialValueSetHeader } from '../../terminology/official.js';
import { officialVersion } from '../../terminology/official-versions.js';
import {
  type TerminologyLoader,
  type TerminologySource,
  terminologyLoader,
} from '../../terminology/resolve.js';
import { storedConcepts, valueSetSource } from '../../terminology/stored.js';
import type { ValueSetSource } from '../../terminology/types.js';
import { assertValidResource } from '../../validation/index.js';
import type { OperationHandler, OperationServices } from '../types.js';
import { OperationInput } from './operation-input.js';

/** The request an operation handler gets. */
export type OperationRequest = Parameters<OperationHandler['handle']>[1];

/** The ValueSet an operation is about. */
export interface TargetValueSet {
  /** How it expands. */
  source: ValueSetSource;
  /** The resource, when stored or posted inline. */
  resource?: ValueSet;
  /** Name, title and status, when official. */
  official?: CompactValueSetHeader;
  /** Canonical URL (without a version) when it has one. */
  url?: string;
  version?: string;
}

/**
 * Start a terminology operation: GET, HEAD or POST only (405 otherwise), its
 * inputs parsed, the caller's terminology ready to be read (on first use).
 *
 * @example
 * ```ts
 * const { input, terminology } = openTerminologyOperation(ctx, request, services, '$lookup');
 * ```
 */
export function openTerminologyOperation(
  ctx: RequestContext,
  request: OperationRequest,
  services: OperationServices,
  operation: string,
): { input: OperationInput; terminology: CallerTerminology } {
  if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST')
    throw new FhirError('method-not-allowed', `${operation} takes GET or POST, not ${request.method}`);
  const input = new OperationInput(operation, request.operationParams, request.body);
  return { input, terminology: new CallerTerminology(lazySource(() => services.terminology(ctx))) };
}

/** A source opened on its first read: a call that needs official definitions only never waits for the search projections. */
function lazySource(open: () => Promise<TerminologySource>): TerminologySource {
  let source: Promise<TerminologySource> | undefined;
  const get = () => {
    source ??= open();
    return source;
  };
  return {
    allByUrl: async (type, url) => (await get()).allByUrl(type, url),
    valueSetById: async (id) => (await get()).valueSetById(id),
    codeSystemById: async (id) => (await get()).codeSystemById?.(id),
  };
}

/**
 * Official terminology plus what the caller may read of the stored one, for one call.
 *
 * @example
 * ```ts
 * const terminology = new CallerTerminology(await services.terminology(ctx));
 * const target = await terminology.valueSet(request, input);
 * const entries = await terminology.expand(target);
 * ```
 */
export class CallerTerminology {
  readonly #loader: TerminologyLoader;
  readonly #concepts = new Map<string, CodeSystemConcepts | undefined>();

  constructor(readonly source: TerminologySource) {
    this.#loader = terminologyLoader(source);
  }

  /**
   * The ValueSet of `ValueSet/[id]/$op`, or of the `valueSet` input (a
   * resource), or of `url` (+ `valueSetVersion`). An unknown instance is a
   * 404; an unknown `url` a 400 `not-found`; none of them a 400.
   */
  async valueSet(request: OperationRequest, input: OperationInput): Promise<TargetValueSet> {
    const url = input.string('url');
    const inline = input.resource<ValueSet>('valueSet', 'ValueSet');
    const version = input.string('valueSetVersion');
    if (request.id !== undefined) {
      if (url !== undefined || inline !== undefined || version !== undefined)
        throw input.invalid('url, valueSetVersion and valueSet cannot be used on a ValueSet instance');
      const vs = await this.source.valueSetById(request.id);
      if (!vs) throw new FhirError('not-found', `ValueSet/${request.id} is not known`);
      return this.#stored(vs);
    }
    if (url !== undefined && inline !== undefined)
      throw input.invalid('give either url or valueSet, not both');
    if (version !== undefined && url === undefined)
      throw input.invalid('valueSetVersion goes with url', 'url');
    if (inline !== undefined) {
      assertValidResource(inline, { resourceType: 'ValueSet' });
      const target = await this.#stored(inline);
      if (inline.url || inline.id) return target;
      return { ...target, source: { ...target.source, url: '(the valueSet parameter)' } };
    }
    if (url === undefined) throw input.invalid('needs a url, a valueSet, or a ValueSet instance', 'url');
    const parsed = parseCanonical(url);
    if (version !== undefined && parsed.version !== undefined && version !== parsed.version)
      throw input.invalid(`url names version ${parsed.version} but valueSetVersion is ${version}`, 'url');
    const canonical = canonicalKey(parsed.url, version ?? parsed.version);
    const official = officialValueSet(canonical);
    if (official) {
      const header = officialValueSetHeader(canonical);
      const { url: officialUrl } = parseCanonical(official.url);
      return {
        source: official,
        url: officialUrl,
        version: officialVersion(officialUrl),
        ...(header ? { official: header } : {}),
      };
    }
    await this.#loader.valueSet(canonical);
    const vs = this.#loader.stored.valueSets.get(valueSetKey(canonical));
    if (!vs)
      throw new FhirError('not-found', `ValueSet ${canonical} is not known here`, {
        status: 400,
        expression: ['url'],
      });
    return this.#stored(vs);
  }

  async #stored(vs: ValueSet): Promise<TargetValueSet> {
    await this.#loader.needsOf(vs);
    const source = valueSetSource(vs);
    const { url, version } = parseCanonical(source.url);
    return { source, resource: vs, ...(vs.url ? { url, ...(version ? { version } : {}) } : {}) };
  }

  /**
   * Every code of the ValueSet with its version, display and activity
   * (400 `too-costly` beyond the expansion cap, `not-supported` when it cannot be expanded).
   */
  async expand(target: TargetValueSet): Promise<ExpansionEntry[]> {
    const codes = expandValueSet(target.source, this.#loader.lookup());
    const systems = new Map<string, CodeSystemConcepts | undefined>();
    for (const { system } of codes)
      if (!systems.has(system)) systems.set(system, await this.concepts(system));
    return describeExpansion(codes, ownDetails(target.resource), (system) => systems.get(system));
  }

  /** The concepts of a code system (`system` and an optional version): official first, else stored and readable. */
  async concepts(system: string, version?: string): Promise<CodeSystemConcepts | undefined> {
    const parsed = parseCanonical(canonicalKey(system, version));
    const canonical = canonicalKey(parsed.url, parsed.version);
    if (this.#concepts.has(canonical)) return this.#concepts.get(canonical);
    let found = officialConcepts(canonical);
    if (!found) {
      await this.#loader.codeSystem(canonical);
      const cs = this.#loader.stored.codeSystems.get(canonical);
      found = cs ? storedConcepts(cs) : undefined;
    }
    this.#concepts.set(canonical, found);
    return found;
  }

  /** The concepts of the stored CodeSystem `CodeSystem/[id]` (404 when the caller cannot read it). */
  async codeSystemById(id: string): Promise<CodeSystemConcepts> {
    const cs: CodeSystem | undefined = await this.source.codeSystemById?.(id);
    if (!cs) throw new FhirError('not-found', `CodeSystem/${id} is not known`);
    return storedConcepts(cs);
  }
}
