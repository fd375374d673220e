/**
 * The terminology of the official R4 package (compiled by
 * `scripts/compile-definitions.ts`): every ValueSet's compose and the
 * complete CodeSystems with their hierarchy, parsed lazily per URL.
 */
import conceptTable from '../definitions/generated/code-system-concepts.js';
import codeSystemTable from '../definitions/generated/code-systems.js';
import valueSetTable from '../definitions/generated/value-set-composes.js';
import headerTable from '../definitions/generated/value-set-headers.js';
import { parseCanonical } from './canonical.js';
import { CodeSystemTree, type CompactConcept } from './code-system-tree.js';
import type {
  CodeSystemConcepts,
  CompactCodeSystemConcepts,
  CompactValueSetHeader,
  ConceptDetails,
} from './concepts.js';
import { isOfficialVersion, officialVersion } from './official-versions.js';
import type { ComposeInclude, TerminologyLookup, ValueSetSource } from './types.js';

const trees = new Map<string, CodeSystemTree>();
const valueSets = new Map<string, ValueSetSource>();
const conceptSets = new Map<string, CodeSystemConcepts>();

export { unversioned } from './canonical.js';

/**
 * The table key of an official definition named by `canonical`, when there is
 * one: its URL, provided a `|version` is the package's (4.0.1) or the
 * definition's own (see `isOfficialVersion`). A key that carries its version
 * (a few v2 CodeSystems) is matched as written.
 */
function officialKey(canonical: string, table: Readonly<Record<string, string>>): string | undefined {
  if (Object.hasOwn(table, canonical)) return canonical;
  const { url, version } = parseCanonical(canonical);
  if (!Object.hasOwn(table, url)) return undefined;
  return version === undefined || isOfficialVersion(url, version) ? url : undefined;
}

/**
 * An official R4 ValueSet by canonical URL; with a `|version`, only when that
 * version is the package's (4.0.1) or the ValueSet's own.
 *
 * @example
 * ```ts
 * officialValueSet('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')?.include;
 * // [{ system: 'http://hl7.org/fhir/administrative-gender' }]
 * officialValueSet('http://hl7.org/fhir/ValueSet/administrative-gender|3.0.2'); // undefined
 * ```
 */
export function officialValueSet(canonical: string): ValueSetSource | undefined {
  const key = officialKey(canonical, valueSetTable);
  if (key === undefined) return undefined;
  let vs = valueSets.get(key);
  if (vs === undefined) {
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
 * An official, complete R4 CodeSystem with an is-a hierarchy, by canonical
 * URL; with a `|version`, only when that version is the package's (4.0.1) or
 * the CodeSystem's own.
 *
 * @example
 * ```ts
 * officialCodeSystem('http://terminology.hl7.org/CodeSystem/v3-ActCode')?.descendants('_ActAccountCode');
 * officialCodeSystem('http://terminology.hl7.org/CodeSystem/v3-ActCode|2018-08-12'); // the same tree
 * ```
 */
export function officialCodeSystem(canonical: string): CodeSystemTree | undefined {
  const key = officialKey(canonical, codeSystemTable);
  if (key === undefined) return undefined;
  let tree = trees.get(key);
  if (tree === undefined) {
    tree = CodeSystemTree.fromCompact(key, JSON.parse(codeSystemTable[key]!) as CompactConcept[]);
    trees.set(key, tree);
  }
  return tree;
}

/**
 * The concepts of an official, complete R4 CodeSystem (displays, inactive
 * codes, name, version and is-a hierarchy), by canonical URL as for
 * {@link officialCodeSystem}.
 *
 * @example
 * ```ts
 * officialConcepts('http://hl7.org/fhir/administrative-gender')?.concepts.get('male')?.display; // 'Male'
 * officialConcepts('http://hl7.org/fhir/administrative-gender')?.version; // '4.0.1'
 * ```
 */
export function officialConcepts(canonical: string): CodeSystemConcepts | undefined {
  const key = officialKey(canonical, conceptTable);
  if (key === undefined) return undefined;
  let found = conceptSets.get(key);
  if (found === undefined) {
    const raw = JSON.parse(conceptTable[key]!) as CompactCodeSystemConcepts;
    const inactive = new Set(raw.inactive);
    const concepts = new Map<string, ConceptDetails>();
    for (const [code, display = code] of raw.concepts)
      concepts.set(code, { code, display, ...(inactive.has(code) ? { inactive: true } : {}) });
    const { url, version } = parseCanonical(key);
    const tree = officialCodeSystem(key);
    found = {
      url,
      version: version ?? officialVersion(url),
      ...(raw.name ? { name: raw.name } : {}),
      concepts,
      ...(tree ? { tree } : {}),
    };
    conceptSets.set(key, found);
  }
  return found;
}

/**
 * The name, title and status of an official R4 ValueSet, by canonical URL as
 * for {@link officialValueSet}.
 *
 * @example
 * ```ts
 * officialValueSetHeader('http://hl7.org/fhir/ValueSet/administrative-gender'); // { name: 'AdministrativeGender', status: 'active' }
 * ```
 */
export function officialValueSetHeader(canonical: string): CompactValueSetHeader | undefined {
  const key = officialKey(canonical, headerTable);
  return key === undefined ? undefined : (JSON.parse(headerTable[key]!) as CompactValueSetHeader);
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
