/**
 * Structural validation of FHIR R4 resources against the compiled official
 * definitions (see `../definitions`).
 *
 * @example
 * ```ts
 * import { assertValidResource, validateResource } from './validation/index.js';
 * validateResource({ resourceType: 'Patient', gender: 'dog' })[0]?.expression; // ['Patient.gender']
 * assertValidResource(body, { resourceType: 'Patient' }); // throws FhirError('invalid-resource')
 * ```
 */
export type { ValidateOptions, ValidationIssue, ValidationIssueCode } from './types.js';
export { assertValidResource, validateResource } from './validate-resource.js';
