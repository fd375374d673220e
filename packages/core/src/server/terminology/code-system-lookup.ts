import type { Coding, Parameters, ParametersParameter } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error.js';
import type { OperationHandler } from '../types.js';
import { openTerminologyOperation } from './caller-terminology.js';
import type { OperationInput } from './operation-input.js';

/** Inputs whose meaning this server does not implement: refused rather than silently ignored. */
const UNSUPPORTED = ['date'];

/** The properties `$lookup` can return in `property` groups. */
const HIERARCHY_PROPERTIES = ['parent', 'child'] as const;

/**
 * `CodeSystem/$lookup` (`code` + `system` [+ `version`], or `coding`): the
 * code system's `name`, its `version` when known, the concept's `display`
 * (the code itself when the code system gives none), and — for code systems
 * whose is-a hierarchy is known — its direct `parent` and `child` codes as
 * `property` groups (only those asked for when `property` is given). Works
 * for the official R4 code systems and the stored CodeSystems the caller may
 * read. An unknown code system or code answers 404 with an OperationOutcome
 * (`not-found`). `displayLanguage` is ignored; designations are not returned.
 *
 * @example
 * ```ts
 * // GET [base]/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=male
 * // → 200 Parameters { name: 'AdministrativeGender', version: '4.0.1', display: 'Male' }
 * ```
 */
export const codeSystemLookupOperation: OperationHandler = {
  name: 'lookup',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup',
  scope: { type: true, types: ['CodeSystem'] },
  async handle(ctx, request, services) {
    const { input, terminology } = openTerminologyOperation(ctx, request, services, '$lookup');
    input.rejectUnsupported(UNSUPPORTED);
    const coding = codingToLookUp(input);
    const wanted = input.strings('property');
    const cs = await terminology.concepts(coding.system!, coding.version);
    const named = `${coding.system}${coding.version ? ` version ${coding.version}` : ''}`;
    if (!cs) throw new FhirError('not-found', `The code system ${named} is not known here`);
    const concept = cs.concepts.get(coding.code!);
    if (!concept)
      throw new FhirError('not-found', `The code ${coding.code} is not in the code system ${named}`);
    const parameter: ParametersParameter[] = [
      { name: 'name', valueString: cs.name ?? cs.url },
      ...(cs.version ? [{ name: 'version', valueString: cs.version }] : []),
      { name: 'display', valueString: concept.display ?? concept.code },
    ];
    for (const property of HIERARCHY_PROPERTIES) {
      if (!cs.tree || (wanted.length > 0 && !wanted.includes(property))) continue;
      const related = property === 'parent' ? cs.tree.parents(concept.code) : cs.tree.children(concept.code);
      for (const code of related) {
        const display = cs.concepts.get(code)?.display;
        parameter.push({
          name: 'property',
          part: [
            { name: 'code', valueCode: property },
            { name: 'value', valueCode: code },
            ...(display ? [{ name: 'description', valueString: display }] : []),
          ],
        });
      }
    }
    if (concept.inactive && (wanted.length === 0 || wanted.includes('inactive')))
      parameter.push({
        name: 'property',
        part: [
          { name: 'code', valueCode: 'inactive' },
          { name: 'value', valueBoolean: true },
        ],
      });
    const resource: Parameters = { resourceType: 'Parameters', parameter };
    return { status: 200, resource };
  },
};

/** `code` + `system` [+ `version`], or `coding` (with a system): exactly one of the two forms. */
function codingToLookUp(input: OperationInput): Coding {
  const code = input.string('code');
  const system = input.string('system');
  const version = input.string('version');
  const coding = input.coding('coding');
  if (coding !== undefined) {
    if (code !== undefined || system !== undefined || version !== undefined)
      throw input.invalid('give either code and system, or coding, not both');
    if (!coding.system) throw input.invalid('the coding needs a system', 'coding');
    return coding;
  }
  if (code === undefined) throw input.invalid('needs code and system, or coding', 'code');
  if (system === undefined) throw input.invalid('a code needs a system', 'system');
  return { system, code, ...(version ? { version } : {}) };
}
