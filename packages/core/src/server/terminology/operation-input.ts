/**
 * The inputs of a terminology operation, from the query string (GET, or a
 * form-encoded POST) and from a `Parameters` body (POST): primitive values
 * as text, and the complex ones (`Coding`, `CodeableConcept`, a resource)
 * that only a body can carry. Every malformed input is a 400.
 */
import type { CodeableConcept, Coding, Parameters, ParametersParameter, Resource } from 'fhir/r4';
import { FhirError } from '../../errors/fhir-error.js';
import type { SearchParams } from '../../search/types.js';

/** Query parameters that are about the response format, not the operation. */
const TRANSPORT = new Set(['_format', '_pretty', '_summary', '_elements']);

/**
 * A terminology operation's parameters, by name.
 *
 * @example
 * ```ts
 * const input = new OperationInput('$expand', [['url', 'http://x/vs'], ['count', '10']], undefined);
 * input.string('url'); // 'http://x/vs'
 * input.integer('count'); // 10
 * ```
 */
export class OperationInput {
  readonly #primitives = new Map<string, string[]>();
  readonly #entries = new Map<string, ParametersParameter[]>();

  constructor(
    readonly operation: string,
    query: SearchParams,
    body: unknown,
  ) {
    for (const [name, value] of query) if (!TRANSPORT.has(name)) this.#add(name, value);
    if (body === undefined || body === null) return;
    const parameters = body as Parameters;
    if (typeof body !== 'object' || parameters.resourceType !== 'Parameters')
      throw this.invalid(`the body of ${operation} must be a Parameters resource`);
    if (parameters.parameter !== undefined && !Array.isArray(parameters.parameter))
      throw this.invalid('Parameters.parameter must be an array');
    for (const p of parameters.parameter ?? []) {
      if (!p || typeof p.name !== 'string') throw this.invalid('every parameter needs a name');
      const list = this.#entries.get(p.name) ?? [];
      list.push(p);
      this.#entries.set(p.name, list);
      const primitive = primitiveValue(p);
      if (primitive !== undefined) this.#add(p.name, primitive);
    }
  }

  #add(name: string, value: string): void {
    const list = this.#primitives.get(name) ?? [];
    list.push(value);
    this.#primitives.set(name, list);
  }

  /** A 400 `invalid` about this operation's input. */
  invalid(message: string, name?: string): FhirError {
    return new FhirError('invalid', `${this.operation}: ${message}`, name ? { expression: [name] } : {});
  }

  /** Whether the parameter was given at all, in any form. */
  has(name: string): boolean {
    return this.#primitives.has(name) || this.#entries.has(name);
  }

  /** Every text value of a parameter that may repeat (`0..*`). */
  strings(name: string): string[] {
    return this.#primitives.get(name) ?? [];
  }

  /** The text value of a `0..1` parameter; 400 when it is given twice, or is empty unless `allowEmpty`. */
  string(name: string, allowEmpty = false): string | undefined {
    const values = this.#primitives.get(name);
    if (values === undefined) {
      if (this.#entries.has(name)) throw this.invalid(`${name} must be a primitive value`, name);
      return undefined;
    }
    if (values.length > 1) throw this.invalid(`${name} is given more than once`, name);
    if (values[0] === '' && !allowEmpty) throw this.invalid(`${name} is empty`, name);
    return values[0];
  }

  /** A non-negative integer parameter; 400 when it is not one. */
  integer(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!/^\d{1,9}$/.test(text))
      throw this.invalid(`${name} must be a non-negative integer, not ${text}`, name);
    return Number(text);
  }

  /** A boolean parameter; 400 when it is neither `true` nor `false`. */
  boolean(name: string): boolean | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (text !== 'true' && text !== 'false')
      throw this.invalid(`${name} must be true or false, not ${text}`, name);
    return text === 'true';
  }

  /** A `Coding` parameter (body only); 400 when it is not a Coding with a code. */
  coding(name: string): Coding | undefined {
    const value = this.#complex(name, 'valueCoding') as Coding | undefined;
    if (value !== undefined && !isCoding(value))
      throw this.invalid(`${name} must be a Coding with a code (and a system)`, name);
    return value;
  }

  /** A `CodeableConcept` parameter (body only); 400 when its codings are malformed. */
  codeableConcept(name: string): CodeableConcept | undefined {
    const value = this.#complex(name, 'valueCodeableConcept') as CodeableConcept | undefined;
    if (value === undefined) return undefined;
    if (
      typeof value !== 'object' ||
      !Array.isArray(value.coding ?? []) ||
      !(value.coding ?? []).every(isCoding)
    )
      throw this.invalid(`${name} must be a CodeableConcept whose codings have codes`, name);
    return value;
  }

  /** A resource parameter (body only) of the given type; 400 when it is another one. */
  resource<T extends Resource>(name: string, resourceType: T['resourceType']): T | undefined {
    const entries = this.#entries.get(name);
    if (entries === undefined) return undefined;
    if (entries.length > 1) throw this.invalid(`${name} is given more than once`, name);
    const resource = entries[0]!.resource;
    if (!resource || typeof resource !== 'object' || resource.resourceType !== resourceType)
      throw this.invalid(`${name} must be a ${resourceType} resource`, name);
    return resource as T;
  }

  /** 400 `not-supported` when one of `names` was given (inputs whose meaning this server does not implement). */
  rejectUnsupported(names: readonly string[]): void {
    for (const name of names)
      if (this.has(name))
        throw new FhirError('not-supported', `${this.operation}: the ${name} parameter is not supported`, {
          expression: [name],
        });
  }

  #complex(name: string, key: 'valueCoding' | 'valueCodeableConcept'): unknown {
    if (this.#primitives.has(name) && !this.#entries.has(name))
      throw this.invalid(`${name} can only be given in a Parameters body`, name);
    const entries = this.#entries.get(name);
    if (entries === undefined) return undefined;
    if (entries.length > 1) throw this.invalid(`${name} is given more than once`, name);
    const value = entries[0]![key];
    if (value === undefined) throw this.invalid(`${name} must be given as ${key}`, name);
    return value;
  }
}

function isCoding(value: unknown): value is Coding {
  const c = value as Coding;
  return (
    !!c &&
    typeof c === 'object' &&
    typeof c.code === 'string' &&
    c.code !== '' &&
    (c.system === undefined || typeof c.system === 'string') &&
    (c.version === undefined || typeof c.version === 'string') &&
    (c.display === undefined || typeof c.display === 'string')
  );
}

/** The text of a parameter's primitive `value[x]`, if it has one. */
function primitiveValue(p: ParametersParameter): string | undefined {
  for (const [key, value] of Object.entries(p)) {
    if (!key.startsWith('value')) continue;
    if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')
      return String(value);
  }
  return undefined;
}
