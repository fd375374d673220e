/**
 * The FHIRPath engine path (`fhirpath`, the HL7 engine, with the R4 model)
 * for expressions the fast path does not compile. `resolve()` is answered
 * synchronously from the literal reference string (a stub resource of the
 * referenced type), which is all search expressions need (`resolve() is T`).
 */
import { createRequire } from 'node:module';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4/index.js';
import type { Evaluator } from './fast-path.js';
import { fhirTypeName } from './normalize.js';
import { referenceType } from './references.js';

type EngineModel = Parameters<typeof fhirpath.compile>[1];
type EngineOptions = { resolveInternalTypes: false };

interface EngineNode {
  data: unknown;
}
interface ResourceNodeClass {
  makeResNode(
    ctx: unknown,
    data: unknown,
    parent: unknown,
    path: string | null,
    _data: unknown,
    fhirNodeDataType: string | null,
  ): EngineNode;
}

let resourceNode: ResourceNodeClass | undefined;
function ResourceNode(): ResourceNodeClass {
  if (resourceNode === undefined) {
    const local = createRequire(import.meta.url);
    const fromFhirpath = createRequire(local.resolve('fhirpath'));
    resourceNode = (fromFhirpath('./types.js') as { ResourceNode: ResourceNodeClass }).ResourceNode;
  }
  return resourceNode;
}

/** `resolve()` without I/O: a stub `{ resourceType }` for each literal reference whose type is known. */
const userInvocationTable = {
  resolve: {
    internalStructures: true,
    fn(this: unknown, inputs: EngineNode[]): EngineNode[] {
      const out: EngineNode[] = [];
      for (const node of inputs) {
        const data = node?.data as { reference?: unknown } | string | undefined;
        const ref = typeof data === 'string' ? data : data?.reference;
        const type = typeof ref === 'string' ? referenceType(ref) : undefined;
        if (type !== undefined)
          out.push(ResourceNode().makeResNode(this, { resourceType: type }, null, type, null, type));
      }
      return out;
    },
  },
};

const PAREN_CAST = /\(\s*([A-Za-z][A-Za-z0-9_.]*)\s+as\s+([A-Za-z][A-Za-z0-9_]*)\s*\)/g;
const AS_FUNCTION = /\.as\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)/g;

/**
 * R4 search expressions apply `as` to collections (`(Observation.component.value as Quantity)`);
 * strict FHIRPath (and fhirpath.js) then throws "Expected singleton" and the
 * values would be lost. R5 rewrote these expressions to `ofType()`, which is
 * what they mean: we evaluate `(X as T)` and `X.as(T)` as `X.ofType(T)`.
 *
 * @example
 * ```ts
 * castsAsOfType('(Observation.value as Quantity) | Condition.onset.as(Age)');
 * // 'Observation.value.ofType(Quantity) | Condition.onset.ofType(Age)'
 * ```
 */
export function castsAsOfType(expression: string): string {
  return expression.replace(PAREN_CAST, '$1.ofType($2)').replace(AS_FUNCTION, '.ofType($1)');
}

/** Errors the engine raised per expression (e.g. a singleton expected), for diagnostics. */
export const engineErrors = new Map<string, string>();

/**
 * Compile `expression` with the FHIRPath engine into an {@link Evaluator}
 * that reports each result with its FHIR type. `base` is the element path of
 * the input when it is not a resource (e.g. `Observation.component` for a
 * composite component), so that choice elements resolve.
 *
 * @example
 * ```ts
 * const evaluate = compileEngine("Patient.extension('http://example.org/x')");
 * const values: unknown[] = [];
 * const types: string[] = [];
 * evaluate(patient, values, types);
 * ```
 */
export function compileEngine(expression: string, base?: string): Evaluator {
  const source = castsAsOfType(expression);
  const path = base === undefined ? source : { base, expression: source };
  // The engine's option types do not describe `internalStructures`.
  const options = { resolveInternalTypes: false, userInvocationTable } as unknown as EngineOptions;
  const compiled = fhirpath.compile(path, r4model as EngineModel, options);
  return (input, values, types) => {
    let result: unknown[];
    try {
      result = compiled(input as object) as unknown[];
    } catch (error) {
      engineErrors.set(expression, String(error));
      return;
    }
    if (result.length === 0) return;
    const typeNames = fhirpath.types(result);
    const plain = fhirpath.resolveInternalTypes(result) as unknown[];
    for (let i = 0; i < plain.length; i++) {
      values.push(plain[i]);
      types.push(fhirTypeName(typeNames[i] ?? ''));
    }
  };
}
