import { z } from 'zod';
import { FhirError } from '../errors/fhir-error.js';
import { FHIR_ID_PATTERN, RESOURCE_TYPE_PATTERN } from './fhir-id.js';
import type { WriteOp, WriteSet } from './types.js';

const resourceType = z.string().regex(RESOURCE_TYPE_PATTERN, 'not a resource type name');
const fhirId = z.string().regex(FHIR_ID_PATTERN, 'not a valid FHIR id (1-64 of A-Z a-z 0-9 - .)');
const resource = z.looseObject({ resourceType, id: fhirId.optional(), meta: z.looseObject({}).optional() });

const createOp = z.object({ op: z.literal('create'), resource, id: fhirId.optional() });
const updateOp = z.object({
  op: z.literal('update'),
  resource: resource.extend({ id: fhirId }),
  ifMatch: z.string().min(1).optional(),
  mustExist: z.boolean().optional(),
});
const deleteOp = z.object({
  op: z.literal('delete'),
  resourceType,
  id: fhirId,
  ifMatch: z.string().min(1).optional(),
});
const writeOp = z.discriminatedUnion('op', [createOp, updateOp, deleteOp]);

/** The zod schema of a {@link WriteSet}. */
export const writeSetSchema = z.object({
  ops: z.array(writeOp),
  txId: z.string().min(1).max(128).optional(),
});

/**
 * Check a write set's shape (types, ids, resource types) and return it typed.
 * Throws a `FhirError('invalid')` naming the offending op and element.
 * It checks the shape the store needs; full structural validation of
 * resources against the R4 definitions is the validator's job.
 *
 * @example
 * ```ts
 * const ws = parseWriteSet({ ops: [{ op: 'create', resource: { resourceType: 'Patient' } }] });
 * ```
 */
export function parseWriteSet(input: unknown): WriteSet {
  const parsed = writeSetSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.');
    throw new FhirError('invalid', `Invalid write set at ${where || '(root)'}: ${issue.message}`, {
      expression: where ? [where] : undefined,
    });
  }
  // Keep the caller's objects (zod copies them): the shape is now known to be right.
  const source = input as WriteSet;
  return { ops: source.ops as WriteOp[], ...(source.txId ? { txId: source.txId } : {}) };
}
