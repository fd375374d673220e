/** The OperationOutcome issue codes the structural validator reports. */
export type ValidationIssueCode = 'structure' | 'value' | 'required' | 'code-invalid' | 'invalid';

/**
 * One problem found by the validator, shaped as an R4 `OperationOutcome.issue`.
 *
 * @example
 * ```ts
 * const issue: ValidationIssue = {
 *   severity: 'error',
 *   code: 'code-invalid',
 *   diagnostics: "'dog' is not in http://hl7.org/fhir/ValueSet/administrative-gender",
 *   expression: ['Patient.gender'],
 * };
 * ```
 */
export interface ValidationIssue {
  severity: 'error';
  code: ValidationIssueCode;
  diagnostics: string;
  /** One FHIRPath expression with indexes, e.g. `Patient.name[0].given[1]`. */
  expression: string[];
}

/** Options of {@link validateResource}. */
export interface ValidateOptions {
  /** The resource type the body must have (e.g. the type in the request URL). */
  resourceType?: string;
  /** Stop collecting after this many issues (default 100). */
  maxIssues?: number;
}
