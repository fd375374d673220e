import { isResourceType } from '../definitions/index.js';
import { FhirError } from '../errors/fhir-error.js';
import { type FieldSpec, fieldSchema, type ObjectSchema, schemaFor } from './compiled-schema.js';
import type { ValidateOptions, ValidationIssue, ValidationIssueCode } from './types.js';

export type { ValidateOptions, ValidationIssue, ValidationIssueCode } from './types.js';

const DEFAULT_MAX_ISSUES = 100;
const MAX_DEPTH = 400;

// Field kinds, inlined as literals in the hot path (see FieldKind in compiled-schema.ts).
const PRIMITIVE = 0;
const COMPLEX = 1;
const RESOURCE = 2;
const PRIMITIVE_EXTENSION = 3;

type JsonObject = Record<string, unknown>;

/**
 * Walk state. Validation is synchronous and never re-entered, so one walker
 * is reused: the happy path allocates nothing but the path stack's growth.
 */
const walk = {
  issues: undefined as ValidationIssue[] | undefined,
  maxIssues: DEFAULT_MAX_ISSUES,
  root: '',
  /** Path below the root: property names and array indexes. */
  path: [] as (string | number)[],
};

/**
 * Structurally validate a FHIR R4 resource in JSON form against the compiled
 * official definitions: resourceType, unknown elements (incl. `_x` primitive
 * extension siblings), JSON types and formats of primitives (official
 * regexes, real calendar dates, integer ranges), array vs single value,
 * min/max cardinality, choice types, required bindings on `code` elements,
 * empty values, and contained / Bundle entry resources by their own type.
 * FHIRPath invariants are not checked. Returns no issues when valid.
 *
 * @example
 * ```ts
 * validateResource({ resourceType: 'Patient', gender: 'dog' });
 * // [{ severity: 'error', code: 'code-invalid', expression: ['Patient.gender'],
 * //    diagnostics: "'dog' is not in http://hl7.org/fhir/ValueSet/administrative-gender" }]
 * validateResource(body, { resourceType: 'Observation' }); // also checks the type matches the URL
 * ```
 */
export function validateResource(resource: unknown, options?: ValidateOptions): ValidationIssue[] {
  walk.issues = undefined;
  walk.maxIssues = options?.maxIssues ?? DEFAULT_MAX_ISSUES;
  walk.path.length = 0;
  walk.root = 'Resource';
  if (!isObject(resource)) {
    report('invalid', `a resource must be a JSON object, found ${describe(resource)}`);
    return walk.issues ?? [];
  }
  const type = resource.resourceType;
  if (typeof type !== 'string') {
    report('required', 'missing resourceType');
    return walk.issues ?? [];
  }
  if (options?.resourceType !== undefined && options.resourceType !== type) {
    report('invalid', `resourceType '${type}' does not match the expected type '${options.resourceType}'`);
  }
  const schema = isResourceType(type) ? schemaFor(type) : undefined;
  if (schema === undefined) {
    report('invalid', `unknown resourceType '${type}'`);
    return walk.issues ?? [];
  }
  walk.root = type;
  validateObject(resource, schema);
  const issues = walk.issues ?? [];
  walk.issues = undefined;
  return issues;
}

/**
 * Like {@link validateResource}, but throws a `FhirError('invalid-resource')`
 * (HTTP 400) whose OperationOutcome carries every issue.
 *
 * @example
 * ```ts
 * try {
 *   assertValidResource(body, { resourceType: 'Patient' });
 * } catch (err) {
 *   // err.outcome.issue[1].expression -> ['Patient.birthDate']
 * }
 * ```
 */
export function assertValidResource(resource: unknown, options?: ValidateOptions): void {
  const issues = validateResource(resource, options);
  if (issues.length === 0) return;
  const first = issues[0]!;
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
  const expression = [...new Set(issues.flatMap((i) => i.expression))];
  throw new FhirError(
    'invalid-resource',
    `Invalid resource: ${first.expression[0]}: ${first.diagnostics}${more}`,
    {
      expression,
      issues,
    },
  );
}

function validateObject(obj: JsonObject, schema: ObjectSchema): void {
  if (walk.path.length > MAX_DEPTH) {
    report('structure', `nested more than ${MAX_DEPTH} levels deep`);
    return;
  }
  const fields = schema.fields;
  let keys = 0;
  let choicesSeen = 0;
  let requiredSeen = 0;
  for (const key in obj) {
    keys++;
    const field = fields.get(key);
    if (field === undefined) {
      if (key !== 'resourceType' || !schema.isResource) {
        report('structure', `unknown element '${key}' in ${schema.name}`, key);
      }
      continue;
    }
    if (field.choiceBit !== 0) {
      if ((choicesSeen & field.choiceBit) !== 0) {
        reportChoiceConflict(obj, schema, field);
      } else {
        choicesSeen |= field.choiceBit;
        if (field.min > 0) requiredSeen++;
      }
    } else if (field.min > 0) {
      requiredSeen++;
    }
    walk.path.push(field.pathName);
    validateProperty(obj, obj[key], field);
    walk.path.pop();
  }
  if (keys === 0) report('structure', 'empty object (FHIR forbids empty elements)');
  if (requiredSeen < schema.requiredCount) reportMissing(obj, schema);
}

function validateProperty(obj: JsonObject, value: unknown, field: FieldSpec): void {
  if (!field.isArray) {
    if (Array.isArray(value)) report('structure', `${field.key} must be a single value, not an array`);
    else if (value === null) report('structure', `${field.key} must not be null`);
    else validateValue(value, field);
    return;
  }
  if (!Array.isArray(value)) {
    report('structure', `${field.key} must be an array (max cardinality ${field.max})`);
    return;
  }
  const n = value.length;
  if (n === 0) {
    report('structure', `${field.key} is an empty array (FHIR forbids empty elements)`);
    return;
  }
  if (n > field.max) report('structure', `${field.key} has ${n} values, at most ${field.max} allowed`);
  if (field.kind === PRIMITIVE_EXTENSION) checkSiblingLength(obj, field, n);
  for (let i = 0; i < n; i++) {
    walk.path.push(i);
    const item: unknown = value[i];
    if (item === null) checkNullItem(obj, field, i);
    else validateValue(item, field);
    walk.path.pop();
  }
}

function validateValue(value: unknown, field: FieldSpec): void {
  switch (field.kind) {
    case PRIMITIVE: {
      const problem = field.check!(value);
      if (problem !== undefined) {
        report(problem.wrongJsonType ? 'structure' : 'value', problem.diagnostics);
      } else if (field.codes !== undefined && !field.codes.has(value as string)) {
        report('code-invalid', `'${value}' is not in ${field.bindingUrl} (required binding)`);
      }
      return;
    }
    case COMPLEX:
    case PRIMITIVE_EXTENSION:
      if (isObject(value)) validateObject(value, field.schema ?? fieldSchema(field));
      else report('structure', `expected an object (${field.typeName}), found ${describe(value)}`);
      return;
    case RESOURCE:
      validateNestedResource(value);
      return;
  }
}

function validateNestedResource(value: unknown): void {
  if (!isObject(value)) {
    report('structure', `expected a resource, found ${describe(value)}`);
    return;
  }
  const type = value.resourceType;
  if (typeof type !== 'string') {
    report('required', 'a nested resource needs a resourceType');
    return;
  }
  const schema = isResourceType(type) ? schemaFor(type) : undefined;
  if (schema === undefined) report('invalid', `unknown resourceType '${type}'`, 'resourceType');
  else validateObject(value, schema);
}

/** A `null` array item is only allowed where the `_x` / `x` sibling array holds the value. */
function checkNullItem(obj: JsonObject, field: FieldSpec, i: number): void {
  if (field.kind === PRIMITIVE || field.kind === PRIMITIVE_EXTENSION) {
    const sibling = obj[field.siblingKey];
    if (Array.isArray(sibling) && sibling[i] !== null && sibling[i] !== undefined) return;
  }
  report('structure', `${field.key}[${i}] is null`);
}

function checkSiblingLength(obj: JsonObject, field: FieldSpec, n: number): void {
  const sibling = obj[field.siblingKey];
  if (Array.isArray(sibling) && sibling.length !== n) {
    report('structure', `${field.key} has ${n} items but ${field.siblingKey} has ${sibling.length}`);
  }
}

function reportChoiceConflict(obj: JsonObject, schema: ObjectSchema, field: FieldSpec): void {
  const group = schema.choiceGroups.find((g) => g.bit === field.choiceBit)!;
  const present = group.keys.filter((k) => obj[k] !== undefined && !k.startsWith('_'));
  report('structure', `only one of ${present.join(', ')} is allowed (${group.stem}[x])`, field.pathName);
}

function reportMissing(obj: JsonObject, schema: ObjectSchema): void {
  for (const field of schema.required) {
    if (obj[field.key] !== undefined) continue;
    if (field.kind === PRIMITIVE && obj[field.siblingKey] !== undefined) continue;
    report(
      'required',
      `missing required element '${field.key}' (min ${field.min}) in ${schema.name}`,
      field.key,
    );
  }
  for (const group of schema.choiceGroups) {
    if (group.min === 0 || group.keys.some((k) => obj[k] !== undefined)) continue;
    report('required', `missing required element '${group.stem}[x]' in ${schema.name}`, group.stem);
  }
}

function report(code: ValidationIssueCode, diagnostics: string, child?: string): void {
  walk.issues ??= [];
  if (walk.issues.length >= walk.maxIssues) return;
  let expression = walk.root;
  for (const seg of walk.path) expression += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
  if (child !== undefined) expression += `.${child}`;
  walk.issues.push({ severity: 'error', code, diagnostics, expression: [expression] });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
