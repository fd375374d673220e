/**
 * The terminology of the official R4 package (compiled by
 * `scripts/compile-definitions.ts`): every ValueSet's compose and the
 * complete CodeSystems with their hierarchy, parsed lazily per URL.
 */
import codeSystemTable from '../definitions/generated/code-systems.js';
import valueSetTable from '../definitions/generated/value-set-composes.js';
import { unversioned } from './canonical.js';
import { CodeSystemTree, type CompactConcept } from './code-system-tree.js';
import type { ComposeInclude, TerminologyLookup, ValueSetSource } from './types.js';

const trees = new Map<string, CodeSystemTree>();
const valueSets = new Map<string, ValueSetSource>();

export { unversioned } from './canonical.js';

/**
 * An official R4 ValueSet by canonical URL.
 *
 * @example
 * ```ts
 * officialValueSet('http://hl7.org/fhir/ValueSet/administrative-gender')?.include;
 * // [{ system: 'http://hl7.org/fhir/administrative-gender' }]
 * ```
 */
export function officialValueSet(url: string): ValueSetSource | undefined {
  const key = unversioned(url);
  let vs = valueSets.get(key);
  if (vs === undefined && Object.hasOwn(valueSetTable, key)) {
    const raw = JSON.parse(valueSetTable[key]!) as {
      include?: ComposeInclude[];
      exclude?: ComposeInclude[];
      expansion?: Array<[string, string]>;
    };
    vs = {
      url: key,
      official: true,
      ...(raw.include ? { include: raw.include } : {}),
      ...(raw.exclude ? { exclude: raw.exclude } : {}),
      ...(raw.expansion ? { expansion: raw.expansion.map(([system, code]) => ({ system, code })) } : {}),
    };
    valueSets.set(key, vs);
  }
  return vs;
}

/**
 * An official, complete R4 CodeSystem with an is-a hierarchy, by canonical URL.
 *
 * @example
 * ```ts
 * officialCodeSystem('http://terminology.hl7.org/CodeSystem/v3-ActCode')?.descendants('_ActAccountCode');
 * ```
 */
export function officialCodeSystem(url: string): CodeSystemTree | undefined {
  const key = unversioned(url);
  let tree = trees.get(key);
  if (tree === undefined && Object.hasOwn(codeSystemTable, key)) {
    tree = CodeSystemTree.fromCompact(key, JSON.parse(codeSystemTable[key]!) as CompactConcept[]);
    trees.set(key, tree);
  }
  return tree;
}

/**
 * The official terminology alone (what subscription criteria and engines
 * called without a resolved lookup use).
 *
 * @example
 * ```ts
 * officialTerminology.valueSet('http://hl7.org/fhir/ValueSet/observation-status')?.official; // true
 * ```
 */
export const officialTerminology: TerminologyLookup = {
  valueSet: (ref) => (ref.startsWith('ValueSet/') ? undefined : officialValueSet(ref)),
  codeSystem: officialCodeSystem,
  unknownHint: 'only official R4 ValueSets are known here',
};
