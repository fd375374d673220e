import { getElementTable, getPrimitiveType, valueSetCodes } from '../definitions/index.js';
import type { ElementInfo, TypeDefinition } from '../definitions/types.js';
import { type PrimitiveCheck, primitiveCheck } from './primitive-checks.js';

/** How the value of a JSON property is validated. */
export const FieldKind = {
  /** A primitive value (`"2020-01-01"`, `true`, `42`). */
  Primitive: 0,
  /** An object of a complex datatype or a backbone element. */
  Complex: 1,
  /** A resource (contained, Bundle.entry.resource, ...), validated by its own resourceType. */
  Resource: 2,
  /** The `_name` sibling of a primitive: an Element with `id` / `extension`. */
  PrimitiveExtension: 3,
} as const;
/** One of {@link FieldKind}. */
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** One JSON property name allowed in an object, with everything needed to check its value. */
export interface FieldSpec {
  /** JSON property name (`valueQuantity`, `_birthDate`). */
  readonly key: string;
  /** Name used in FHIRPath expressions (`valueQuantity`, `birthDate`). */
  readonly pathName: string;
  readonly kind: FieldKind;
  /** Whether the JSON value must be an array (max is not 1). */
  readonly isArray: boolean;
  readonly max: number;
  readonly min: number;
  /** The FHIR type name, e.g. `HumanName`, `date` (the owning type's name for backbones). */
  readonly typeName: string;
  /** For primitives. */
  readonly check: PrimitiveCheck | undefined;
  /** For `code` elements with a required, expandable binding. */
  readonly codes: ReadonlySet<string> | undefined;
  readonly bindingUrl: string | undefined;
  /** Bit of the choice group this variant belongs to (0 when not a choice). */
  readonly choiceBit: number;
  /** For primitives: the key of the `_name` sibling; for `_name`: the primitive's key. */
  readonly siblingKey: string;
  /** Schema of the object value (Complex, PrimitiveExtension); resolved lazily for datatypes. */
  schema: ObjectSchema | undefined;
}

/** A choice element (`value[x]`) of an object schema. */
export interface ChoiceGroup {
  /** `value` */
  readonly stem: string;
  readonly bit: number;
  readonly min: number;
  /** JSON keys of all variants, `_` siblings of primitive variants included. */
  readonly keys: readonly string[];
}

/** Pre-compiled lookup table for the properties of one kind of JSON object. */
export interface ObjectSchema {
  /** Type name for messages (`Patient`, `HumanName`, `Observation.component`). */
  readonly name: string;
  /** True for a resource root: `resourceType` is allowed. */
  readonly isResource: boolean;
  readonly fields: Map<string, FieldSpec>;
  /** Required non-choice fields plus required choice groups. */
  requiredCount: number;
  readonly required: FieldSpec[];
  readonly choiceGroups: ChoiceGroup[];
}

const schemas = new Map<string, ObjectSchema>();

/**
 * The compiled schema of a resource type or complex datatype, built on first use.
 *
 * @example
 * ```ts
 * schemaFor('Patient')?.fields.get('gender')?.codes?.has('female'); // true
 * ```
 */
export function schemaFor(typeName: string): ObjectSchema | undefined {
  let schema = schemas.get(typeName);
  if (schema === undefined) {
    const def = getElementTable(typeName);
    if (def === undefined) return undefined;
    schema = compileType(def);
    schemas.set(typeName, schema);
  }
  return schema;
}

/**
 * Resolve the schema of a Complex or PrimitiveExtension field (datatypes are compiled lazily).
 *
 * @example
 * ```ts
 * fieldSchema(schemaFor('Patient')!.fields.get('name')!).name; // 'HumanName'
 * ```
 */
export function fieldSchema(field: FieldSpec): ObjectSchema {
  if (field.schema === undefined) {
    const schema = schemaFor(field.kind === FieldKind.PrimitiveExtension ? 'Element' : field.typeName);
    if (schema === undefined) throw new Error(`No schema for ${field.typeName}`);
    field.schema = schema;
  }
  return field.schema;
}

function compileType(def: TypeDefinition): ObjectSchema {
  const builders = new Map<string, ObjectSchema>();
  const newBuilder = (name: string, isResource: boolean): ObjectSchema => {
    const b: ObjectSchema = {
      name,
      isResource,
      fields: new Map(),
      requiredCount: 0,
      required: [],
      choiceGroups: [],
    };
    builders.set(name, b);
    return b;
  };
  const root = newBuilder(def.name, def.kind === 'resource');
  const contentRefs: { field: FieldSpec; target: string }[] = [];

  for (const [path, el] of Object.entries(def.elements)) {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? root : builders.get(`${def.name}.${path.slice(0, dot)}`);
    if (parent === undefined) throw new Error(`${def.name}.${path}: parent element not compiled`);
    const name = path.slice(dot + 1);
    if (el.contentReference !== undefined) {
      const field = addField(parent, name, name, el, el.contentReference.slice(1), FieldKind.Complex, 0);
      contentRefs.push({ field, target: el.contentReference.slice(1) });
    } else if (el.backbone) {
      const field = addField(parent, name, name, el, `${def.name}.${path}`, FieldKind.Complex, 0);
      field.schema = newBuilder(`${def.name}.${path}`, false);
    } else if (el.choices !== undefined) {
      addChoice(parent, name.slice(0, -3), el);
    } else {
      addTyped(parent, name, el.types[0]!, el, 0);
    }
  }

  for (const b of builders.values()) {
    b.requiredCount = b.required.length + b.choiceGroups.filter((g) => g.min > 0).length;
  }
  for (const { field, target } of contentRefs) {
    const schema = builders.get(target);
    if (schema === undefined) throw new Error(`contentReference #${target} is not a backbone element`);
    field.schema = schema;
  }
  return root;
}

function addChoice(b: ObjectSchema, stem: string, el: ElementInfo): void {
  const bit = 1 << b.choiceGroups.length;
  if (bit === 0 || b.choiceGroups.length >= 31) throw new Error(`${b.name}: too many choice groups`);
  const keys: string[] = [];
  el.types.forEach((type, i) => {
    const field = addTyped(b, el.choices![i]!, type, el, bit);
    keys.push(field.key);
    if (field.kind === FieldKind.Primitive) keys.push(field.siblingKey);
  });
  b.choiceGroups.push({ stem, bit, min: el.min, keys });
}

function addTyped(b: ObjectSchema, key: string, type: string, el: ElementInfo, choiceBit: number): FieldSpec {
  if (getPrimitiveType(type) !== undefined) {
    const field = addField(b, key, key, el, type, FieldKind.Primitive, choiceBit);
    addField(b, `_${key}`, key, el, 'Element', FieldKind.PrimitiveExtension, 0);
    return field;
  }
  const kind = type === 'Resource' ? FieldKind.Resource : FieldKind.Complex;
  return addField(b, key, key, el, type, kind, choiceBit);
}

function addField(
  b: ObjectSchema,
  key: string,
  pathName: string,
  el: ElementInfo,
  typeName: string,
  kind: FieldKind,
  choiceBit: number,
): FieldSpec {
  const bindingUrl = kind === FieldKind.Primitive ? el.binding : undefined;
  const field: FieldSpec = {
    key,
    pathName,
    kind,
    isArray: el.max !== 1,
    max: el.max === '*' ? Number.POSITIVE_INFINITY : el.max,
    min: kind === FieldKind.PrimitiveExtension ? 0 : el.min,
    typeName,
    check: kind === FieldKind.Primitive ? primitiveCheck(typeName) : undefined,
    codes: bindingUrl === undefined ? undefined : valueSetCodes(bindingUrl),
    bindingUrl,
    choiceBit,
    siblingKey:
      kind === FieldKind.Primitive ? `_${key}` : kind === FieldKind.PrimitiveExtension ? pathName : '',
    schema: undefined,
  };
  b.fields.set(key, field);
  if (field.min > 0 && choiceBit === 0) b.required.push(field);
  return field;
}
