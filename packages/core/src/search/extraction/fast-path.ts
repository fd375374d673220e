/**
 * The compiled fast path: simple FHIRPath expressions (dotted paths, `|`
 * unions, `as` / `ofType` casts on choice elements, `where(resolve() is T)`
 * on references, `where(field = 'literal')`) typed against the compiled
 * element tables and turned into plain property walks over the JSON.
 * Anything else returns `undefined` from {@link compileFastPath} and goes to
 * the FHIRPath engine.
 */
import { getElementTable, getPrimitiveType, type TypeDefinition } from '../../definitions/index.js';
import { parseSimple, type RawStep } from './fast-path-parser.js';
import { referenceType } from './references.js';

// biome-ignore lint/suspicious/noExplicitAny: FHIR JSON is walked untyped on the hot path.
type Json = any;

/** Collects the selected element values and their FHIR types (aligned). */
export type Evaluator = (input: unknown, values: unknown[], types: string[]) => void;

const FIELD = 0;
const CHOICE = 1;
const WHERE_EQ = 2;
const REF_IS = 3;

interface FastStep {
  op: number;
  /** FIELD / WHERE_EQ: the JSON key. */
  key: string;
  /** CHOICE: the concrete JSON keys and their types. */
  keys: string[];
  types: string[];
  /** CHOICE: whether the item type comes from the key (the choice is the last typed step). */
  typeFromKey: boolean;
  /** WHERE_EQ: the literal; REF_IS: the resource type. */
  value: string;
}

interface FastPart {
  /** `null` for a relative expression or `Resource` / `DomainResource` roots. */
  root: string | null;
  steps: FastStep[];
  leafType: string;
}

// ---- typing ----------------------------------------------------------------

/** Where a walk is: inside a complex type (at `prefix` for backbone elements), at a primitive, or at a choice. */
interface State {
  table?: TypeDefinition;
  prefix: string;
  primitive?: string;
  /** The step index of a pending uncast choice. */
  choice?: FastStep;
}

/** FHIRPath System types named in casts (`as(DateTime)`) match the FHIR primitives. */
const SYSTEM_TYPES: Record<string, string> = {
  Boolean: 'boolean',
  String: 'string',
  Integer: 'integer',
  Decimal: 'decimal',
  Date: 'date',
  DateTime: 'dateTime',
  Time: 'time',
};

function isSubtypeOf(type: string, ancestor: string): boolean {
  let current: string | undefined = type;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current === ancestor) return true;
    current = getElementTable(current)?.base ?? getPrimitiveType(current)?.base;
  }
  return false;
}

function stateOfType(type: string): State | undefined {
  if (type === 'Resource' || type === 'Element' || type === 'BackboneElement') return undefined;
  const table = getElementTable(type);
  if (table !== undefined) return { table, prefix: '' };
  if (getPrimitiveType(type) !== undefined) return { prefix: '', primitive: type };
  return undefined;
}

function typeName(state: State): string {
  if (state.primitive !== undefined) return state.primitive;
  return state.prefix === '' ? state.table!.name : 'BackboneElement';
}

function step(op: number): FastStep {
  return { op, key: '', keys: [], types: [], typeFromKey: false, value: '' };
}

/** Type one chain. `contextType`/`contextPrefix` locate the input (a resource or a backbone element). */
function typeChain(
  raw: RawStep[],
  contextType: string,
  contextPrefix: string,
  relative: boolean,
): FastPart | undefined {
  let root: string | null = null;
  let index = 0;
  const rootTable = getElementTable(contextType);
  if (rootTable === undefined) return undefined;
  if (!relative) {
    const first = raw[0];
    if (first?.k !== 'name') return undefined;
    if (first.name === 'Resource' || first.name === 'DomainResource') root = null;
    else if (first.name === contextType) root = contextType;
    else return undefined;
    index = 1;
  }
  let state: State = { table: rootTable, prefix: contextPrefix };
  const steps: FastStep[] = [];
  for (; index < raw.length; index++) {
    const r = raw[index]!;
    if (state.choice !== undefined && r.k !== 'cast') return undefined;
    if (r.k === 'name') {
      if (state.table === undefined) return undefined;
      const path = state.prefix === '' ? r.name : `${state.prefix}.${r.name}`;
      const el = state.table.elements[path];
      if (el === undefined) {
        const choiceEl = state.table.elements[`${path}[x]`];
        if (choiceEl?.choices === undefined) return undefined;
        const s = step(CHOICE);
        s.keys = choiceEl.choices.slice();
        s.types = choiceEl.types.slice();
        s.typeFromKey = true;
        steps.push(s);
        state = { prefix: '', choice: s };
        continue;
      }
      const s = step(FIELD);
      s.key = r.name;
      steps.push(s);
      if (el.contentReference !== undefined) {
        const target = el.contentReference.replace(/^#/, '');
        const dot = target.indexOf('.');
        const table = getElementTable(dot < 0 ? target : target.slice(0, dot));
        if (table === undefined || dot < 0) return undefined;
        state = { table, prefix: target.slice(dot + 1) };
      } else if (el.backbone) {
        state = { table: state.table, prefix: path };
      } else if (el.types.length === 1) {
        const next = stateOfType(el.types[0]!);
        if (next === undefined) return undefined;
        state = next;
      } else {
        return undefined;
      }
    } else if (r.k === 'cast') {
      const castType = SYSTEM_TYPES[r.type] ?? r.type;
      const choice = state.choice;
      if (choice !== undefined) {
        const keys: string[] = [];
        const types: string[] = [];
        for (let i = 0; i < choice.keys.length; i++) {
          const t = choice.types[i]!;
          if (isSubtypeOf(t, castType)) {
            keys.push(choice.keys[i]!);
            types.push(t);
          }
        }
        choice.keys = keys;
        choice.types = types;
        if (keys.length === 1) {
          const next = stateOfType(types[0]!);
          if (next === undefined) return undefined;
          state = next;
        } else {
          // Zero or several matching keys: only valid as the last step.
          if (index !== raw.length - 1) return undefined;
          state = { prefix: '', choice };
        }
      } else if (typeName(state) !== castType) {
        return undefined;
      }
    } else if (r.k === 'whereEq') {
      if (state.table === undefined) return undefined;
      const path = state.prefix === '' ? r.name : `${state.prefix}.${r.name}`;
      const el = state.table.elements[path];
      if (el === undefined || el.max !== 1 || el.types.length !== 1) return undefined;
      const t = el.types[0]!;
      if (!isSubtypeOf(t, 'string') && t !== 'uri' && !isSubtypeOf(t, 'uri')) return undefined;
      const s = step(WHERE_EQ);
      s.key = r.name;
      s.value = r.value;
      steps.push(s);
    } else {
      if (typeName(state) !== 'Reference') return undefined;
      const s = step(REF_IS);
      s.value = r.type;
      steps.push(s);
    }
  }
  if (state.choice !== undefined) {
    return { root, steps, leafType: '' };
  }
  for (const s of steps) s.typeFromKey = false;
  return { root, steps, leafType: typeName(state) };
}

// ---- evaluation --------------------------------------------------------------

function walk(
  node: Json,
  steps: FastStep[],
  i: number,
  leafType: string,
  values: unknown[],
  types: string[],
): void {
  if (i === steps.length) {
    values.push(node);
    types.push(leafType);
    return;
  }
  const s = steps[i]!;
  switch (s.op) {
    case FIELD: {
      const v = node[s.key];
      if (v === undefined || v === null) return;
      if (Array.isArray(v)) {
        for (let j = 0; j < v.length; j++) {
          const item = v[j];
          if (item !== undefined && item !== null) walk(item, steps, i + 1, leafType, values, types);
        }
      } else {
        walk(v, steps, i + 1, leafType, values, types);
      }
      return;
    }
    case CHOICE: {
      const keys = s.keys;
      for (let k = 0; k < keys.length; k++) {
        const v = node[keys[k]!];
        if (v === undefined || v === null) continue;
        const t = s.typeFromKey ? s.types[k]! : leafType;
        if (Array.isArray(v)) {
          for (let j = 0; j < v.length; j++) if (v[j] != null) walk(v[j], steps, i + 1, t, values, types);
        } else {
          walk(v, steps, i + 1, t, values, types);
        }
        // Valid FHIR has at most one key of a choice; the engine takes the first present.
        return;
      }
      return;
    }
    case WHERE_EQ:
      if (node[s.key] === s.value) walk(node, steps, i + 1, leafType, values, types);
      return;
    default: {
      const ref = node.reference;
      if (typeof ref === 'string' && referenceType(ref) === s.value)
        walk(node, steps, i + 1, leafType, values, types);
    }
  }
}

/**
 * Compile a simple expression into a fast evaluator over JSON, or return
 * `undefined` when the expression is not simple (then use the engine).
 * `contextType` is the resource type (or, with `contextPrefix`, the type
 * holding a backbone element, e.g. `Observation` + `component`); `relative`
 * expressions (composite components) have no leading type name.
 *
 * @example
 * ```ts
 * const evaluate = compileFastPath('Observation', '(Observation.value as Quantity)')!;
 * const values: unknown[] = [];
 * const types: string[] = [];
 * evaluate(observation, values, types); // values: [{ value: 5.4, unit: 'mg', ... }], types: ['Quantity']
 * ```
 */
export function compileFastPath(
  contextType: string,
  expression: string,
  contextPrefix = '',
  relative = false,
): Evaluator | undefined {
  const raw = parseSimple(expression);
  if (raw === undefined) return undefined;
  const parts: FastPart[] = [];
  for (const chain of raw) {
    const part = typeChain(chain, contextType, contextPrefix, relative);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  if (parts.length === 1) {
    const { root, steps, leafType } = parts[0]!;
    return (input, values, types) => {
      if (root === null || (input as Json).resourceType === root)
        walk(input, steps, 0, leafType, values, types);
    };
  }
  return (input, values, types) => {
    const resourceType = (input as Json).resourceType;
    const start = values.length;
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      if (part.root === null || resourceType === part.root)
        walk(input, part.steps, 0, part.leafType, values, types);
    }
    if (values.length - start > 1) distinct(values, types, start);
  };
}

/** FHIRPath equality of two JSON values (deep, order-sensitive for arrays). */
function same(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!same(a[k], b[k])) return false;
  return true;
}

/** `|` is a union: drop later duplicates of the values collected since `start`. */
function distinct(values: unknown[], types: string[], start: number): void {
  let write = start;
  for (let read = start; read < values.length; read++) {
    const v = values[read];
    let duplicate = false;
    for (let j = start; j < write; j++) {
      if (same(values[j], v)) {
        duplicate = true;
        break;
      }
    }
    if (!duplicate) {
      values[write] = v;
      types[write] = types[read]!;
      write++;
    }
  }
  values.length = write;
  types.length = write;
}

/**
 * The element path a simple expression lands on (`Observation.component`),
 * for evaluating composite components relative to it; `undefined` when the
 * expression is not a single dotted path over backbone elements or types.
 *
 * @example
 * ```ts
 * simplePathOf('Observation.component'); // { type: 'Observation', prefix: 'component' }
 * ```
 */
export function simplePathOf(expression: string): { type: string; prefix: string } | undefined {
  const raw = parseSimple(expression);
  if (raw?.length !== 1 || raw[0]!.some((s) => s.k !== 'name')) return undefined;
  const names = (raw[0] as Array<{ name: string }>).map((s) => s.name);
  let type = names[0]!;
  let table = getElementTable(type);
  let prefix = '';
  for (let i = 1; i < names.length && table !== undefined; i++) {
    const path = prefix === '' ? names[i]! : `${prefix}.${names[i]}`;
    const el = table.elements[path];
    if (el === undefined) return undefined;
    if (el.backbone) prefix = path;
    else if (el.types.length === 1 && getElementTable(el.types[0]!) !== undefined) {
      type = el.types[0]!;
      table = getElementTable(type);
      prefix = '';
    } else return undefined;
  }
  return table === undefined ? undefined : { type: table.name, prefix };
}
