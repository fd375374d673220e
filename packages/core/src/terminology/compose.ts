/**
 * ValueSet parts in the form expansion uses (codes only), from FHIR
 * resources: shared by stored ValueSets at run time and by the definitions
 * compiler at build time.
 */
import type { ValueSetComposeInclude, ValueSetExpansionContains } from 'fhir/r4';
import { unversioned } from './canonical.js';
import type { ComposeInclude, SystemCode } from './types.js';

/**
 * A `compose.include` / `exclude` entry, codes only.
 *
 * @example
 * ```ts
 * composeInclude({ system: 'http://x/cs', concept: [{ code: 'a', display: 'A' }] }); // { system: 'http://x/cs', concept: ['a'] }
 * ```
 */
export function composeInclude(inc: ValueSetComposeInclude): ComposeInclude {
  return {
    ...(inc.system ? { system: inc.system } : {}),
    ...(inc.concept ? { concept: inc.concept.map((c) => c.code) } : {}),
    ...(inc.filter
      ? { filter: inc.filter.map((f) => ({ property: f.property, op: f.op, value: f.value })) }
      : {}),
    ...(inc.valueSet ? { valueSet: inc.valueSet.map(unversioned) } : {}),
  };
}

/**
 * The codes of `expansion.contains`, nested entries flattened, abstract ones left out.
 *
 * @example
 * ```ts
 * flatContains([{ system: 'http://x', code: 'a', contains: [{ system: 'http://x', code: 'b' }] }]); // a, b
 * ```
 */
export function flatContains(contains: ValueSetExpansionContains[], out: SystemCode[] = []): SystemCode[] {
  for (const c of contains) {
    if (c.system && c.code && c.abstract !== true) out.push({ system: c.system, code: c.code });
    if (c.contains) flatContains(c.contains, out);
  }
  return out;
}
