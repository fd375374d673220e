/**
 * ValueSet parts in the form expansion uses (codes only), from FHIR
 * resources: shared by stored ValueSets at run time and by the definitions
 * compiler at build time.
 */
import type { ValueSetComposeInclude, ValueSetExpansionContains } from 'fhir/r4';
import { unversioned, valueSetKey } from './canonical.js';
import type { ComposeInclude, SystemCode } from './types.js';

/** How {@link composeInclude} treats versions. */
export interface ComposeOptions {
  /**
   * Keep `include.version` and the `|version` of `include.valueSet` imports
   * (stored ValueSets). Off by default: the official package is expanded
   * against its own code systems, whatever versions its composes name.
   */
  versions?: boolean;
}

/**
 * A `compose.include` / `exclude` entry, codes only.
 *
 * @example
 * ```ts
 * composeInclude({ system: 'http://x/cs', concept: [{ code: 'a', display: 'A' }] }); // { system: 'http://x/cs', concept: ['a'] }
 * composeInclude({ valueSet: ['http://x/vs|1.0'] }, { versions: true }); // { valueSet: ['http://x/vs|1.0'] }
 * ```
 */
export function composeInclude(inc: ValueSetComposeInclude, options: ComposeOptions = {}): ComposeInclude {
  const keep = options.versions === true;
  return {
    ...(inc.system ? { system: inc.system } : {}),
    ...(keep && inc.system && inc.version ? { version: inc.version } : {}),
    ...(inc.concept ? { concept: inc.concept.map((c) => c.code) } : {}),
    ...(inc.filter
      ? { filter: inc.filter.map((f) => ({ property: f.property, op: f.op, value: f.value })) }
      : {}),
    ...(inc.valueSet ? { valueSet: inc.valueSet.map(keep ? valueSetKey : unversioned) } : {}),
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
