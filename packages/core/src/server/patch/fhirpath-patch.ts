import type { Parameters, ParametersParameter, Resource } from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import { getElementTable } from '../../definitions/index.js';
import { FhirError } from '../../errors/fhir-error.js';

type Json = Record<string, unknown>;
type OperationType = 'add' | 'insert' | 'delete' | 'replace' | 'move';

/** Where an element sits: `parent[prop]`, at `index` when that is an array. */
interface Slot {
  parent: Json;
  prop: string;
  index?: number;
}

/**
 * Apply a FHIRPath Patch (a `Parameters` resource of `operation`s: add,
 * insert, delete, replace, move — fhirpatch.html) to a copy of `resource`,
 * evaluating paths with the HL7 `fhirpath` engine. Bad patch documents answer
 * 400; operations that cannot apply (no single match, index out of range) 422.
 *
 * @example
 * ```ts
 * applyFhirPathPatch(patient, {
 *   resourceType: 'Parameters',
 *   parameter: [{ name: 'operation', part: [
 *     { name: 'type', valueCode: 'replace' },
 *     { name: 'path', valueString: 'Patient.birthDate' },
 *     { name: 'value', valueDate: '1990-01-01' },
 *   ] }],
 * });
 * ```
 */
export function applyFhirPathPatch(resource: Resource, patch: unknown): Resource {
  const parameters = patch as Parameters;
  if (parameters?.resourceType !== 'Parameters')
    throw new FhirError('invalid', 'A FHIRPath Patch body must be a Parameters resource');
  const doc = structuredClone(resource) as unknown as Json;
  (parameters.parameter ?? []).forEach((operation, i) => {
    if (operation.name !== 'operation') throw invalid(i, `unexpected parameter "${operation.name}"`);
    applyOperation(doc, operation, i);
  });
  return doc as unknown as Resource;
}

function applyOperation(doc: Json, operation: ParametersParameter, i: number): void {
  const parts = new Map((operation.part ?? []).map((p) => [p.name, p]));
  const type = parts.get('type')?.valueCode as OperationType | undefined;
  const path = parts.get('path')?.valueString;
  if (!type || !['add', 'insert', 'delete', 'replace', 'move'].includes(type))
    throw invalid(i, 'type must be add, insert, delete, replace or move');
  if (!path) throw invalid(i, 'path is required');
  const value = parts.has('value') ? partValue(parts.get('value')!) : undefined;
  const index = parts.get('index')?.valueInteger;
  switch (type) {
    case 'add': {
      const name = parts.get('name')?.valueString;
      if (!name || value === undefined) throw invalid(i, 'add needs name and value');
      const [target] = single(doc, path, i);
      if (typeof target !== 'object' || target === null)
        throw unprocessable(i, `${path} is not an element that can hold ${name}`);
      const t = target as Json;
      if (Array.isArray(t[name])) (t[name] as unknown[]).push(value);
      else if (t[name] === undefined) t[name] = isRepeating(path, name) ? [value] : value;
      else throw unprocessable(i, `${path}.${name} already has a value`);
      return;
    }
    case 'insert': {
      if (value === undefined || index === undefined) throw invalid(i, 'insert needs value and index');
      const list = listAt(doc, path, i);
      if (index < 0 || index > list.length) throw unprocessable(i, `index ${index} is out of range`);
      list.splice(index, 0, value);
      return;
    }
    case 'delete': {
      const slots = locate(doc, path, i);
      if (slots.length === 0) return;
      if (slots.length > 1)
        throw unprocessable(i, `${path} matches ${slots.length} elements; delete needs one`);
      remove(slots[0]!);
      return;
    }
    case 'replace': {
      if (value === undefined) throw invalid(i, 'replace needs a value');
      const slots = locate(doc, path, i);
      if (slots.length !== 1)
        throw unprocessable(i, `${path} matches ${slots.length} elements; replace needs one`);
      const slot = slots[0]!;
      if (slot.index === undefined) slot.parent[slot.prop] = value;
      else (slot.parent[slot.prop] as unknown[])[slot.index] = value;
      return;
    }
    case 'move': {
      const source = parts.get('source')?.valueInteger;
      const destination = parts.get('destination')?.valueInteger;
      if (source === undefined || destination === undefined)
        throw invalid(i, 'move needs source and destination');
      const list = listAt(doc, path, i);
      if (source < 0 || source >= list.length || destination < 0 || destination >= list.length)
        throw unprocessable(i, 'move index out of range');
      const [moved] = list.splice(source, 1);
      list.splice(destination, 0, moved);
      return;
    }
  }
}

/** The value of a `value` part: its `value[x]`, or an object built from its sub-parts. */
function partValue(part: ParametersParameter): unknown {
  for (const [key, v] of Object.entries(part)) if (key.startsWith('value')) return v;
  if (part.resource) return part.resource;
  if (part.part) {
    const out: Json = {};
    for (const p of part.part) {
      const v = partValue(p);
      const existing = out[p.name];
      if (existing === undefined) out[p.name] = v;
      else out[p.name] = Array.isArray(existing) ? [...existing, v] : [existing, v];
    }
    return out;
  }
  return undefined;
}

function evaluate(doc: Json, path: string, i: number): unknown[] {
  try {
    return fhirpath.evaluate(doc, path, undefined, r4model) as unknown[];
  } catch (error) {
    throw invalid(i, `invalid FHIRPath "${path}": ${(error as Error).message}`);
  }
}

function single(doc: Json, path: string, i: number): [unknown] {
  const found = evaluate(doc, path, i);
  if (found.length !== 1) throw unprocessable(i, `${path} matches ${found.length} elements; expected one`);
  return [found[0]];
}

const LAST_STEP =
  /^(.*)\.([A-Za-z][A-Za-z0-9_]*)((?:\[\d+\]|\.(?:where|first|last|ofType|as|exists)\(.*\))*)$/;

/** The slots (parent, property, index) of the elements `path` selects. */
function locate(doc: Json, path: string, i: number): Slot[] {
  const m = LAST_STEP.exec(path);
  if (!m) throw invalid(i, `path "${path}" must end in an element name`);
  const [, parentPath, name, suffix] = m as unknown as [string, string, string, string];
  const slots: Slot[] = [];
  for (const parent of evaluate(doc, parentPath!, i)) {
    if (typeof parent !== 'object' || parent === null) continue;
    const p = parent as Json;
    const prop =
      name in p
        ? name
        : Object.keys(p).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)));
    if (!prop || p[prop] === undefined) continue;
    const held = p[prop];
    const candidates: Slot[] = Array.isArray(held)
      ? held.map((_, index) => ({ parent: p, prop, index }))
      : [{ parent: p, prop }];
    if (!suffix) {
      slots.push(...candidates);
      continue;
    }
    const chosen = evaluate(doc, path, i);
    const taken = new Set<number>();
    for (const c of chosen) {
      const at = candidates.findIndex((s, k) => !taken.has(k) && slotValue(s) === c);
      if (at >= 0) {
        taken.add(at);
        slots.push(candidates[at]!);
      }
    }
  }
  return slots;
}

function slotValue(slot: Slot): unknown {
  const held = slot.parent[slot.prop];
  return slot.index === undefined ? held : (held as unknown[])[slot.index];
}

function remove(slot: Slot): void {
  if (slot.index === undefined) {
    delete slot.parent[slot.prop];
    return;
  }
  const list = slot.parent[slot.prop] as unknown[];
  list.splice(slot.index, 1);
  if (list.length === 0) delete slot.parent[slot.prop];
}

function listAt(doc: Json, path: string, i: number): unknown[] {
  const m = LAST_STEP.exec(path);
  if (!m) throw invalid(i, `path "${path}" must end in an element name`);
  const [parent] = single(doc, m[1]!, i);
  const p = parent as Json;
  const list = p?.[m[2]!];
  if (!Array.isArray(list)) throw unprocessable(i, `${path} is not a list`);
  return list;
}

/**
 * Whether element `name` under the element at `path` repeats (max `*`), from
 * the R4 definitions: the path is walked type by type (`Patient.contact.name`
 * → Patient's backbone `contact` → `HumanName`...). Filters and indexes are ignored.
 */
function isRepeating(path: string, name: string): boolean {
  const steps = path
    .replace(/\.(where|first|last|ofType|as|exists)\([^)]*\)/g, '')
    .replace(/\[\d+\]/g, '')
    .split('.');
  let table = getElementTable(steps[0]!);
  let prefix = '';
  for (const step of steps.slice(1)) {
    const key = prefix ? `${prefix}.${step}` : step;
    const info = table?.elements[key];
    if (!info) return false;
    if (info.backbone) prefix = key;
    else {
      table = getElementTable(info.types[0] ?? '');
      prefix = '';
    }
  }
  return table?.elements[prefix ? `${prefix}.${name}` : name]?.max === '*';
}

function invalid(i: number, message: string): FhirError {
  return new FhirError('invalid', `FHIRPath Patch operation ${i + 1}: ${message}`, {
    expression: [`Parameters.parameter[${i}]`],
  });
}

function unprocessable(i: number, message: string): FhirError {
  return new FhirError('unprocessable', `FHIRPath Patch operation ${i + 1}: ${message}`, {
    expression: [`Parameters.parameter[${i}]`],
  });
}
