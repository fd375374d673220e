import type { Coding, Parameters } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error.js';
import type { CodeSystemConcepts } from '../../terminology/concepts.js';
import type { OperationHandler } from '../types.js';
import {
  type CallerTerminology,
  type OperationRequest,
  openTerminologyOperation,
} from './caller-terminology.js';
import type { OperationInput } from './operation-input.js';

/** The R4 concept-subsumption-outcome codes. */
export type SubsumptionOutcome = 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';

/**
 * `CodeSystem/$subsumes` (type level with `codeA`, `codeB`, `system`
 * [+ `version`], or `codingA` / `codingB`; instance level
 * `CodeSystem/[id]/$subsumes` without `system`): how code A relates to code B
 * in the code system's is-a hierarchy — `equivalent` (the same code),
 * `subsumes` (B is below A), `subsumed-by` (A is below B) or `not-subsumed`.
 * The hierarchies are those `:below` / `:above` use: official complete code
 * systems and stored CodeSystems with `content = complete` and an is-a (or
 * no stated) `hierarchyMeaning`. Any other code system — unknown, a
 * fragment, another hierarchy meaning, codings of two code systems — is a
 * 400 `not-supported`; a code not in the code system a 400 `invalid`.
 *
 * @example
 * ```ts
 * // GET [base]/CodeSystem/$subsumes?system=http://hl7.org/fhir/observation-status&codeA=amended&codeB=corrected
 * // → 200 Parameters { outcome: 'subsumes' }
 * ```
 */
export const codeSystemSubsumesOperation: OperationHandler = {
  name: 'subsumes',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes',
  scope: { type: true, instance: true, types: ['CodeSystem'] },
  async handle(ctx, request, services) {
    const { input, terminology } = openTerminologyOperation(ctx, request, services, '$subsumes');
    const [a, b] = [coding(input, 'A'), coding(input, 'B')];
    const cs = await codeSystem(request, input, terminology, a, b);
    const named = `${cs.url}${cs.version ? ` version ${cs.version}` : ''}`;
    if (!cs.tree)
      throw new FhirError(
        'not-supported',
        `$subsumes: the is-a hierarchy of ${named} is not known here (only complete code systems whose hierarchy means is-a)`,
      );
    for (const c of [a, b])
      if (!cs.tree.has(c.code!))
        throw new FhirError('invalid', `$subsumes: ${c.code} is not a code of ${named}`, {
          expression: [c === a ? 'codeA' : 'codeB'],
        });
    const outcome: SubsumptionOutcome =
      a.code === b.code
        ? 'equivalent'
        : cs.tree.descendants(a.code!).includes(b.code!)
          ? 'subsumes'
          : cs.tree.descendants(b.code!).includes(a.code!)
            ? 'subsumed-by'
            : 'not-subsumed';
    const resource: Parameters = {
      resourceType: 'Parameters',
      parameter: [{ name: 'outcome', valueCode: outcome }],
    };
    return { status: 200, resource };
  },
};

/** Code `A` or `B`: `code<X>` or `coding<X>`, exactly one. */
function coding(input: OperationInput, which: 'A' | 'B'): Coding {
  const code = input.string(`code${which}`);
  const c = input.coding(`coding${which}`);
  if ((code === undefined) === (c === undefined))
    throw input.invalid(`needs exactly one of code${which} and coding${which}`, `code${which}`);
  return c ?? { code: code! };
}

/** The code system to test in: the instance's, or `system` [+ `version`], or the codings' own. */
async function codeSystem(
  request: OperationRequest,
  input: OperationInput,
  terminology: CallerTerminology,
  a: Coding,
  b: Coding,
): Promise<CodeSystemConcepts> {
  if (request.id !== undefined) {
    if (input.has('system') || input.has('version'))
      throw input.invalid('system and version cannot be used on a CodeSystem instance', 'system');
    const cs = await terminology.codeSystemById(request.id);
    assertSameSystem(input, cs.url, a, b);
    return cs;
  }
  const system = input.string('system') ?? a.system ?? b.system;
  const version = input.string('version') ?? a.version ?? b.version;
  if (system === undefined) throw input.invalid('needs a system (or codings with one)', 'system');
  assertSameSystem(input, system, a, b);
  const cs = await terminology.concepts(system, version);
  if (!cs)
    throw new FhirError(
      'not-supported',
      `$subsumes: the code system ${system}${version ? ` version ${version}` : ''} is not known here`,
      { expression: ['system'] },
    );
  return cs;
}

function assertSameSystem(input: OperationInput, system: string, a: Coding, b: Coding): void {
  for (const c of [a, b])
    if (c.system !== undefined && c.system !== system)
      throw new FhirError(
        'not-supported',
        `${input.operation}: subsumption across code systems (${c.system} and ${system}) is not supported`,
      );
}
