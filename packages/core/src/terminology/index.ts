/**
 * Terminology for search and the terminology operations: ValueSet expansion,
 * CodeSystem hierarchies and concepts, official (compiled from the R4
 * package) and stored. Re-exported by `@fhirstream/core`.
 */
export { type Canonical, canonicalKey, parseCanonical } from './canonical.js';
export { CodeSystemTree, type CompactConcept, type ConceptNode } from './code-system-tree.js';
export { type CodeSystemConcepts, type ConceptDetails, isInactive } from './concepts.js';
export { expandValueSet, MAX_EXPANSION } from './expand.js';
export {
  describeExpansion,
  type ExpansionEntry,
  expansionTextFilter,
  type OwnDetails,
  ownDetails,
} from './expansion-details.js';
export {
  officialCodeSystem,
  officialConcepts,
  officialTerminology,
  officialValueSet,
  officialValueSetHeader,
} from './official.js';
export { isOfficialVersion, OFFICIAL_PACKAGE_VERSION, officialVersion } from './official-versions.js';
export {
  engineTerminologySource,
  resolveSearchTerminology,
  type TerminologyAccess,
  type TerminologyLoader,
  type TerminologySource,
  terminologyLoader,
} from './resolve.js';
export {
  codeSystemTree,
  type StoredTerminology,
  storedConcepts,
  storedTerminologyLookup,
  valueSetSource,
} from './stored.js';
export type * from './types.js';
export { compareVersions, pickVersion, type Versioned, versionOf } from './versions.js';
