/**
 * FHIRPath evaluation for topic criteria (`%current`, `%previous`) with the
 * HL7 `fhirpath` engine and its R4 model.
 */
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';

type Compiled = (resource: unknown, env?: Record<string, unknown>) => unknown[];

function load(): { fhirpath: { compile(expression: string, model?: unknown): Compiled }; model: unknown } {
  return {
    fhirpath: fhirpath as unknown as { compile(expression: string, model?: unknown): Compiled },
    model: r4model,
  };
}

const cache = new Map<string, Compiled>();

/**
 * Compile a topic criterion once; evaluate it with `%current` and `%previous`
 * (an absent version is the empty collection). True only when the result is
 * a single `true`.
 *
 * @example
 * ```ts
 * const startsNow = compileTopicCriteria("%current.status = 'in-progress' and (%previous.empty() or %previous.status != 'in-progress')");
 * startsNow({ resourceType: 'Encounter', status: 'in-progress' }, undefined); // true
 * ```
 */
export function compileTopicCriteria(expression: string): (current: unknown, previous: unknown) => boolean {
  let compiled = cache.get(expression);
  if (!compiled) {
    const { fhirpath, model } = load();
    compiled = fhirpath.compile(expression, model);
    cache.set(expression, compiled);
  }
  const fn = compiled;
  return (current, previous) => {
    const env = { current: current ?? [], previous: previous ?? [] };
    const result = fn(current ?? previous ?? {}, env);
    return result.length === 1 && result[0] === true;
  };
}
