/**
 * A cheap, exact pre-check for engine expressions: when every `|` part of an
 * expression starts at a resource element (`Observation.extension(...)…`)
 * and only uses functions that map an empty input to an empty result, a
 * resource without that element yields nothing, so the engine need not run.
 */
import { getElementTable } from '../../definitions/index.js';

/** Functions for which an empty input gives an empty output. */
const EMPTY_PRESERVING = new Set([
  'where',
  'extension',
  'ofType',
  'as',
  'resolve',
  'first',
  'last',
  'select',
  'single',
]);

function splitTopLevel(expression: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'") {
      const end = expression.indexOf("'", i + 1);
      if (end < 0) return undefined;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/** `Root.field.fn(…).x` → `field` when the rest is only paths and empty-preserving functions. */
function leadingField(part: string, resourceType: string): string | undefined {
  const m = /^([A-Za-z]+)\.([A-Za-z]+)/.exec(part);
  if (m === null) return undefined;
  if (m[1] !== resourceType && m[1] !== 'Resource' && m[1] !== 'DomainResource') return undefined;
  let i = m[0].length;
  // The leading field may itself be a call (`Observation.extension('…')`): it is then checked like any step.
  let name = m[2]!;
  while (i < part.length) {
    if (part[i] !== '(') {
      const step = /^\.([A-Za-z]+)/.exec(part.slice(i));
      if (step === null) return undefined;
      i += step[0].length;
      name = step[1]!;
    }
    if (part[i] === '(') {
      if (!EMPTY_PRESERVING.has(name)) return undefined;
      let depth = 0;
      for (; i < part.length; i++) {
        const c = part[i];
        if (c === "'") i = part.indexOf("'", i + 1);
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
        if (i < 0) return undefined;
      }
      i++;
    }
  }
  return m[2];
}

/**
 * The JSON keys of which at least one must be present on the resource for
 * `expression` to yield anything, or `undefined` when that cannot be told
 * (then always run the engine).
 *
 * @example
 * ```ts
 * engineGuardKeys('Observation', "Observation.extension('http://x')"); // ['extension']
 * engineGuardKeys('Patient', 'Patient.deceased.exists() and Patient.deceased != false'); // undefined
 * ```
 */
export function engineGuardKeys(resourceType: string, expression: string): string[] | undefined {
  const parts = splitTopLevel(expression);
  if (parts === undefined) return undefined;
  const table = getElementTable(resourceType);
  const keys: string[] = [];
  for (const part of parts) {
    const field = leadingField(part, resourceType);
    if (field === undefined) return undefined;
    const choice = table?.elements[`${field}[x]`]?.choices;
    for (const key of choice ?? [field]) keys.push(key, `_${key}`);
  }
  return keys;
}
