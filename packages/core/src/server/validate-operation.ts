import type { Parameters, Resource } from 'fhir/r4';
import { FhirError, operationOutcome } from '../errors/fhir-error.js';
import { validateResource } from '../validation/index.js';
import type { OperationHandler } from './types.js';

/**
 * `$validate` (type and instance level): validates the posted resource (or
 * the `resource` parameter of a Parameters body) against the R4 definitions
 * and answers 200 with an OperationOutcome listing every issue.
 *
 * @example
 * ```ts
 * // POST [base]/Patient/$validate  { "resourceType": "Patient", "gender": "dog" }
 * // → 200 OperationOutcome with an error at Patient.gender
 * ```
 */
export const validateOperation: OperationHandler = {
  name: 'validate',
  scope: { type: true, instance: true },
  async handle(_ctx, request) {
    let resource = request.body as Resource | Parameters | undefined;
    if (resource?.resourceType === 'Parameters')
      resource = (resource as Parameters).parameter?.find((p) => p.name === 'resource')?.resource;
    if (!resource || typeof resource !== 'object')
      throw new FhirError('invalid', '$validate needs a resource to validate');
    const issues = validateResource(resource, request.type ? { resourceType: request.type } : {});
    const outcome = issues.length
      ? { resourceType: 'OperationOutcome' as const, issue: issues }
      : operationOutcome('information', 'informational', 'The resource is valid');
    return { status: 200, resource: outcome };
  },
};
