/**
 * @fhirstream/core/testing — the conformance suites every backend runs, and
 * the given/when/then helper for projector authors. Uses vitest.
 *
 * @example
 * ```ts
 * // packages/adapters/mystore/src/conformance.test.ts
 * import { runStoreConformance } from '@fhirstream/core/testing';
 * runStoreConformance({ name: 'mystore', setup: async () => ({ backend: openMyBackend() }) });
 * ```
 *
 * @packageDocumentation
 */
import type { ConformanceOptions } from './fixture.js';
import { describeProjectorRuntime } from './runtime.conformance.js';
import { describeStoreReads } from './store-reads.conformance.js';
import { describeStoreWrites } from './store-writes.conformance.js';
import { describeChangeStream } from './stream.conformance.js';

export { agreementQueries } from './agreement-queries.js';
export {
  type BackendFixture,
  type ConformanceOptions,
  collect,
  errorCodeOf,
  openFixtureStore,
} from './fixture.js';
export { type ProjectorSpecOptions, type ProjectorSpecResult, projectorSpec } from './projector-spec.js';
export { memoryProjection } from './runtime.conformance.js';
export {
  type RuntimeSearchParameters,
  runSearchConformance,
  SEARCH_CONFORMANCE_DATA,
  type SearchBackendFixture,
  type SearchConformanceOptions,
} from './search.conformance.js';
export { loadSyntheaSample, type SampleResource, type SyntheaSample } from './synthea-sample.js';
export {
  memoryCheckpoints,
  runTransportConformance,
  syntheticEvents,
  type TransportConformanceOptions,
  type TransportFixture,
} from './transport.conformance.js';

/**
 * Register the whole store conformance suite (writes, reads and history, the
 * change stream, the projector runtime) for one backend, in vitest.
 *
 * @example
 * ```ts
 * runStoreConformance({
 *   name: 'lmdb',
 *   setup: async () => {
 *     const path = mkdtempSync(join(tmpdir(), 'fs-'));
 *     return { backend: openLmdbBackend({ path }), reopen: async () => openLmdbBackend({ path }) };
 *   },
 * });
 * ```
 */
export function runStoreConformance(options: ConformanceOptions): void {
  describeStoreWrites(options);
  describeStoreReads(options);
  describeChangeStream(options);
  describeProjectorRuntime(options);
}
