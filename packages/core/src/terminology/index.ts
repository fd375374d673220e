/**
 * Terminology for search: ValueSet expansion and CodeSystem hierarchies,
 * official (compiled from the R4 package) and stored. Re-exported by `@fhirstream/core`.
 */
export { type Canonical, canonicalKey, parseCanonical } from './canonical.js';
export { CodeSystemTree, type CompactConcept, type ConceptNode } from './code-system-tree.js';
export { expandValueSet, MAX_EXPANSION } from './expand.js';
export { officialCodeSystem, officialTerminology, officialValueSet } from './official.js';
export { isOfficialVersion, OFFICIAL_PACKAGE_VERSION, officialVersion } from './official-versions.js';
export {
  engineTerminologySource,
  resolveSearchTerminology,
  type TerminologyAccess,
  type TerminologySource,
} from './resolve.js';
export { codeSystemTree, type StoredTerminology, storedTerminologyLookup, valueSetSource } from './stored.js';
export type * from './types.js';
export { compareVersions, pickVersion, type Versioned, versionOf } from './versions.js';
