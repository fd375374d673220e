import jsonPatch, { type Operation } from 'fast-json-patch';
import type { Resource } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error.js';

/**
 * Apply an RFC 6902 JSON Patch to a copy of `resource` (with `fast-json-patch`).
 * A malformed patch answers 400; a patch that cannot be applied (a failing
 * `test`, a missing path) answers 422. The input is never modified.
 *
 * @example
 * ```ts
 * applyJsonPatch(patient, [{ op: 'replace', path: '/active', value: false }]);
 * ```
 */
export function applyJsonPatch(resource: Resource, patch: unknown): Resource {
  if (!Array.isArray(patch))
    throw new FhirError('invalid', 'A JSON Patch body must be an array of operations');
  const validationError = jsonPatch.validate(patch as Operation[], resource);
  if (validationError) {
    const code =
      validationError.name === 'TEST_OPERATION_FAILED' ||
      validationError.name === 'OPERATION_PATH_UNRESOLVABLE'
        ? 'unprocessable'
        : 'invalid';
    throw new FhirError(
      code,
      `JSON Patch operation ${validationError.index ?? ''} failed: ${validationError.message.split('\n')[0]}`,
      {
        expression: validationError.index !== undefined ? [`[${validationError.index}]`] : undefined,
      },
    );
  }
  try {
    return jsonPatch.applyPatch(jsonPatch.deepClone(resource), patch as Operation[], true, true)
      .newDocument as Resource;
  } catch (error) {
    throw new FhirError(
      'unprocessable',
      `JSON Patch could not be applied: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
