/**
 * The FHIR R4 terminology operations, built into every server:
 * `ValueSet/$expand`, `ValueSet/$validate-code`, `CodeSystem/$lookup` and
 * `CodeSystem/$subsumes`, over the search's terminology (see `../../terminology`).
 */
import type { OperationHandler } from '../types.js';
import { codeSystemLookupOperation } from './code-system-lookup.js';
import { codeSystemSubsumesOperation } from './code-system-subsumes.js';
import { valueSetExpandOperation } from './value-set-expand.js';
import { valueSetValidateCodeOperation } from './value-set-validate-code.js';

export { codeSystemLookupOperation } from './code-system-lookup.js';
export { codeSystemSubsumesOperation, type SubsumptionOutcome } from './code-system-subsumes.js';
export { valueSetExpandOperation } from './value-set-expand.js';
export { valueSetValidateCodeOperation } from './value-set-validate-code.js';

/**
 * The four terminology operations, as `createFhirServer` registers them.
 *
 * @example
 * ```ts
 * terminologyOperations.map((o) => o.name); // ['expand', 'validate-code', 'lookup', 'subsumes']
 * ```
 */
export const terminologyOperations: readonly OperationHandler[] = [
  valueSetExpandOperation,
  valueSetValidateCodeOperation,
  codeSystemLookupOperation,
  codeSystemSubsumesOperation,
];
