import type { Coding, Parameters, ParametersParameter } from 'fhir/r4';
import type { ExpansionEntry } from '../../terminology/expansion-details.js';
import type { OperationHandler } from '../types.js';
import { openTerminologyOperation } from './caller-terminology.js';
import type { OperationInput } from './operation-input.js';

/** Inputs whose meaning this server does not implement: refused rather than silently ignored. */
const UNSUPPORTED = ['context', 'date'];

/** The verdict on one coding. */
interface Verdict {
  result: boolean;
  message?: string;
  display?: string;
}

/**
 * `ValueSet/$validate-code` (type level with `url` [+ `valueSetVersion`] or
 * a `valueSet` resource; instance level `ValueSet/[id]/$validate-code`):
 * whether a `code` + `system` [+ `systemVersion`, `display`], a `coding` or
 * a `codeableConcept` (any of its codings) is in the ValueSet, as expanded
 * by `$expand`. Answers Parameters `result`, `message` when false, and the
 * code's `display` when known. A `display` that is neither the ValueSet's
 * nor the code system's (ignoring case) makes the result false, as does a `systemVersion` other
 * than the code system's known version. `displayLanguage` and `abstract`
 * are ignored.
 *
 * @example
 * ```ts
 * // GET [base]/ValueSet/$validate-code?url=http://hl7.org/fhir/ValueSet/administrative-gender&system=http://hl7.org/fhir/administrative-gender&code=male
 * // → 200 Parameters { result: true, display: 'Male' }
 * ```
 */
export const valueSetValidateCodeOperation: OperationHandler = {
  name: 'validate-code',
  definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code',
  scope: { type: true, instance: true, types: ['ValueSet'] },
  async handle(ctx, request, services) {
    const { input, terminology } = openTerminologyOperation(ctx, request, services, '$validate-code');
    input.rejectUnsupported(UNSUPPORTED);
    const codings = codingsToValidate(input);
    const target = await terminology.valueSet(request, input);
    const name = target.url
      ? `${target.url}${target.version ? `|${target.version}` : ''}`
      : target.source.url;
    const entries = await terminology.expand(target);
    const verdicts = codings.map((c) => validate(c, entries, name));
    const verdict = verdicts.find((v) => v.result) ?? {
      result: false,
      message: verdicts.map((v) => v.message).join('; '),
      ...(verdicts.find((v) => v.display) ?? {}),
    };
    const parameter: ParametersParameter[] = [
      { name: 'result', valueBoolean: verdict.result },
      ...(verdict.message ? [{ name: 'message', valueString: verdict.message }] : []),
      ...(verdict.display ? [{ name: 'display', valueString: verdict.display }] : []),
    ];
    const resource: Parameters = { resourceType: 'Parameters', parameter };
    return { status: 200, resource };
  },
};

/** The codings the request asks about: exactly one of `code` (+ `system`), `coding`, `codeableConcept`. */
function codingsToValidate(input: OperationInput): Coding[] {
  const code = input.string('code');
  const coding = input.coding('coding');
  const concept = input.codeableConcept('codeableConcept');
  const given = [code, coding, concept].filter((x) => x !== undefined).length;
  if (given !== 1) throw input.invalid('needs exactly one of code (with system), coding, or codeableConcept');
  const system = input.string('system');
  const systemVersion = input.string('systemVersion');
  const display = input.string('display');
  if (code === undefined && (system ?? systemVersion ?? display) !== undefined)
    throw input.invalid('system, systemVersion and display go with code');
  if (code !== undefined) {
    if (system === undefined) throw input.invalid('a code needs a system', 'system');
    return [
      {
        system,
        code,
        ...(systemVersion ? { version: systemVersion } : {}),
        ...(display ? { display } : {}),
      },
    ];
  }
  if (coding) return [coding];
  const codings = concept!.coding ?? [];
  if (codings.length === 0) throw input.invalid('codeableConcept has no coding', 'codeableConcept');
  return codings;
}

function validate(coding: Coding, entries: readonly ExpansionEntry[], valueSet: string): Verdict {
  const label = `${coding.system ?? ''}#${coding.code}`;
  if (!coding.system)
    return {
      result: false,
      message: `The coding ${coding.code} has no system; a code is only valid with one`,
    };
  const entry = entries.find((e) => e.system === coding.system && e.code === coding.code);
  if (!entry) return { result: false, message: `The code ${label} is not in the ValueSet ${valueSet}` };
  const display = entry.display ? { display: entry.display } : {};
  if (coding.version && entry.version && coding.version !== entry.version)
    return {
      result: false,
      message: `Version ${coding.version} of ${coding.system} is not known here (the known version is ${entry.version})`,
      ...display,
    };
  const valid = [entry.display, entry.codeSystemDisplay].flatMap((d) => (d ? [d.toLowerCase()] : []));
  if (coding.display && valid.length > 0 && !valid.includes(coding.display.toLowerCase()))
    return {
      result: false,
      message: `The display '${coding.display}' is not valid for ${label}; it should be '${entry.display}'`,
      ...display,
    };
  return { result: true, ...display };
}
