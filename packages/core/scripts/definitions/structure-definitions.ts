import type { ElementInfo, PrimitiveTypeDefinition, TypeDefinition } from '../../src/definitions/types.js';
import { javaRegexToJs } from './java-regex.js';
import { type Json, unversioned } from './package-reader.js';

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const REGEX_EXT = 'http://hl7.org/fhir/StructureDefinition/regex';
const SYSTEM_PREFIX = 'http://hl7.org/fhirpath/System.';
const NUMBER_PRIMITIVES = new Set(['decimal', 'integer', 'positiveInt', 'unsignedInt']);

/** Output of {@link compileStructureDefinitions}. */
export interface CompiledStructures {
  types: Map<string, TypeDefinition>;
  primitives: Map<string, PrimitiveTypeDefinition>;
  /** ValueSet canonicals used by required bindings on `code` elements. */
  requiredValueSets: Set<string>;
  warnings: string[];
}

/**
 * Whether a StructureDefinition defines a base type of FHIR (resource, complex
 * or primitive datatype) rather than a profile, extension or logical model.
 * `Element` and `Resource` carry no `derivation`, so a missing one counts as
 * a specialization.
 */
export function isBaseTypeDefinition(sd: Json): boolean {
  if (!['resource', 'complex-type', 'primitive-type'].includes(sd.kind)) return false;
  return (sd.derivation ?? 'specialization') === 'specialization';
}

/** Compile the base-type StructureDefinitions into element tables and primitive definitions. */
export function compileStructureDefinitions(definitions: Json[]): CompiledStructures {
  const types = new Map<string, TypeDefinition>();
  const primitives = new Map<string, PrimitiveTypeDefinition>();
  const requiredValueSets = new Set<string>();
  const warnings: string[] = [];

  for (const sd of definitions) {
    if (!isBaseTypeDefinition(sd)) continue;
    const name: string = sd.type;
    const base = sd.baseDefinition ? String(sd.baseDefinition).split('/').pop() : undefined;
    if (sd.kind === 'primitive-type') {
      primitives.set(name, compilePrimitive(sd, name, base));
      continue;
    }
    const def: TypeDefinition = { name, kind: sd.kind, abstract: sd.abstract === true, elements: {} };
    if (base) def.base = base;
    const elements: Json[] = sd.snapshot?.element ?? [];
    const paths = elements.map((e) => String(e.path));
    for (const el of elements.slice(1)) {
      const info = compileElement(el, name, sd.kind === 'resource', paths, warnings);
      if (!info) continue;
      if (info.binding) requiredValueSets.add(info.binding);
      def.elements[String(el.path).slice(name.length + 1)] = info;
    }
    types.set(name, def);
  }

  // Every type code used by an element must resolve to a compiled type.
  for (const def of types.values()) {
    for (const [path, el] of Object.entries(def.elements)) {
      for (const t of el.types) {
        if (!types.has(t) && !primitives.has(t)) warnings.push(`${def.name}.${path}: unknown type ${t}`);
      }
    }
  }
  return { types, primitives, requiredValueSets, warnings };
}

function compilePrimitive(sd: Json, name: string, base: string | undefined): PrimitiveTypeDefinition {
  const value = (sd.snapshot?.element ?? []).find((e: Json) => e.path === `${name}.value`);
  const regex = value?.type?.[0]?.extension?.find((x: Json) => x.url === REGEX_EXT)?.valueString;
  const json = name === 'boolean' ? 'boolean' : NUMBER_PRIMITIVES.has(name) ? 'number' : 'string';
  const def: PrimitiveTypeDefinition = { name, json };
  if (base) def.base = base;
  if (typeof regex === 'string') {
    def.regex = regex;
    def.jsRegex = javaRegexToJs(regex);
  }
  return def;
}

function compileElement(
  el: Json,
  typeName: string,
  isResource: boolean,
  paths: string[],
  warnings: string[],
): ElementInfo | undefined {
  const path = String(el.path);
  const max: string = el.max ?? '*';
  if (max === '0') return undefined;
  const info: ElementInfo = {
    types: [],
    min: Number(el.min ?? 0),
    max: max === '*' ? '*' : Number(max),
  };
  if (el.isSummary === true) info.summary = true;
  if (el.isModifier === true) info.modifier = true;
  if (el.contentReference) {
    info.contentReference = String(el.contentReference);
    return info;
  }
  info.types = (el.type ?? []).map((t: Json) => typeCode(t, path));
  // R4 snapshots give the resource id (`Resource.id`, `Patient.id`, ...) the FHIRPath
  // type System.String (fhir-type `string`), but the specification defines it as `id`.
  if (isResource && path === `${typeName}.id`) info.types = ['id'];
  if (info.types.length === 0) warnings.push(`${path}: no type`);
  if (path.endsWith('[x]')) {
    const stem = path.slice(path.lastIndexOf('.') + 1, -3);
    info.choices = info.types.map((t) => stem + t.charAt(0).toUpperCase() + t.slice(1));
  }
  const hasChildren = paths.some((p) => p.startsWith(`${path}.`));
  if (hasChildren && (info.types[0] === 'BackboneElement' || info.types[0] === 'Element')) {
    info.backbone = true;
  } else if (hasChildren && path !== typeName) {
    warnings.push(`${path}: children under a non-backbone element`);
  }
  const binding = el.binding;
  if (
    binding?.strength === 'required' &&
    binding.valueSet &&
    info.types.length === 1 &&
    info.types[0] === 'code'
  ) {
    info.binding = unversioned(String(binding.valueSet));
  }
  return info;
}

function typeCode(type: Json, path: string): string {
  const code = String(type.code);
  if (!code.startsWith(SYSTEM_PREFIX)) return code;
  const ext = type.extension?.find((x: Json) => x.url === FHIR_TYPE_EXT);
  const fhirType = ext?.valueUrl ?? ext?.valueUri;
  if (typeof fhirType === 'string') return fhirType;
  throw new Error(`${path}: FHIRPath system type ${code} without a fhir-type extension`);
}
