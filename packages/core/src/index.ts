/**
 * @fhirstream/core — contracts and runtime of Fhirstream: the resource store
 * with its change log, the change stream, the projector runtime, and errors.
 *
 * @packageDocumentation
 */

export { type RequestContext, requestContext } from './context/request-context.js';
export * from './definitions/index.js';
export { ERROR_CODES, type ErrorCode } from './errors/error-codes.js';
export { FhirError, type FhirErrorOptions, operationOutcome } from './errors/fhir-error.js';
export { type BackoffOptions, backoffDelay } from './projection/backoff.js';
export { groupByResource, lifeInBatch } from './projection/resource-changes.js';
export {
  createProjectorRuntime,
  type ProjectorRuntime,
  type ProjectorRuntimeOptions,
} from './projection/runtime.js';
export type {
  AppliedWithCheckpoint,
  Projector,
  ProjectorContext,
  ProjectorError,
  ProjectorStatus,
} from './projection/types.js';
export { approximateDateRange, approximateNumberRange, hasWordStartingWith } from './search/approximate.js';
export { EngineParameters } from './search/engine-parameters.js';
export { dateRange } from './search/extraction/dates.js';
export {
  type CompiledExtractor,
  type CompileOptions,
  compileExtractor,
  type DefinitionLookup,
  extractorsFor,
  extractSearchValues,
} from './search/extraction/extract.js';
export { indexedParams, resourceText, uriAncestors } from './search/extraction/indexed.js';
export { precisionRange } from './search/extraction/numbers.js';
export { parseReference } from './search/extraction/references.js';
export { normalizeString } from './search/extraction/strings.js';
export {
  type CanonicalQuantityQuery,
  canonicalQuantityQuery,
  canonicalUcum,
  UCUM_SYSTEM,
} from './search/extraction/ucum.js';
export { type IncludeStep, includeRounds } from './search/include-rounds.js';
export type * from './search/index-values.js';
export * from './search/query/public.js';
export {
  narrowExpression,
  SearchParameterRegistry,
  type SearchParameterRegistryOptions,
  splitUnion,
} from './search/registry.js';
export type {
  SearchEngine,
  SearchParams,
  SearchRequest,
  SearchResult,
  SupportedSearchParam,
} from './search/types.js';
export { capabilityStatement, type SoftwareInfo } from './server/capabilities.js';
export { parseDateRange } from './server/date-range.js';
export { createFhirServer, type FhirServer, type FhirServerOptions } from './server/fhir-server.js';
export { type FhirMethod, type Interaction, parseInteraction } from './server/interaction.js';
export { applyFhirPathPatch } from './server/patch/fhirpath-patch.js';
export { applyJsonPatch } from './server/patch/json-patch.js';
export { applyRepresentation, type Representation, representationOf } from './server/representation.js';
export { etagOf, type ServerLimits, versionFromEtag } from './server/server-context.js';
export {
  codeSystemLookupOperation,
  codeSystemSubsumesOperation,
  type SubsumptionOutcome,
  terminologyOperations,
  valueSetExpandOperation,
  valueSetValidateCodeOperation,
} from './server/terminology/index.js';
export type {
  AccessPolicy,
  FhirRequest,
  FhirRequestHeaders,
  FhirResponse,
  OperationHandler,
} from './server/types.js';
export type {
  CommitPlan,
  LogHead,
  PlanInput,
  ResourceHead,
  StoreBackend,
  VersionRecord,
} from './store/backend.js';
export { keyOf } from './store/backend.js';
export { createStore, type ResourceStore, type StoreOptions } from './store/create-store.js';
export { FHIR_ID_PATTERN, isFhirId, newResourceId, RESOURCE_TYPE_PATTERN } from './store/fhir-id.js';
export { type BodySource, StoredVersion } from './store/stored-version.js';
export type * from './store/types.js';
export { parseWriteSet, writeSetSchema } from './store/write-schema.js';
export { type ChangeSource, type FollowOptions, followChanges } from './stream/change-stream.js';
export * from './terminology/index.js';
export * from './transport/index.js';
export * from './validation/index.js';
