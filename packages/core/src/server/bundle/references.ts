import type { RequestContext } from '../../context/request-context.js';
import { FhirError } from '../../errors/fhir-error.js';
import { findMatches, parseQuery } from '../conditional.js';
import type { ServerDeps } from '../server-context.js';

const CONDITIONAL_REFERENCE = /^([A-Z][A-Za-z]+)\?(.+)$/;

/**
 * Resolves the references of a Bundle's resources: `fullUrl`s of entries in
 * the same transaction (e.g. `urn:uuid:…`) become `Type/id`, and conditional
 * references (`Practitioner?identifier=sys|val`) are searched — exactly one
 * match is required. Results are cached for the bundle.
 *
 * @example
 * ```ts
 * const refs = new ReferenceResolver(deps, ctx, new Map([['urn:uuid:1', 'Patient/abc']]));
 * await refs.rewrite(observation); // subject.reference 'urn:uuid:1' → 'Patient/abc'
 * ```
 */
export class ReferenceResolver {
  readonly #conditional = new Map<string, Promise<string>>();

  constructor(
    private readonly deps: ServerDeps,
    private readonly ctx: RequestContext,
    /** fullUrl → `Type/id` */
    readonly identities: Map<string, string>,
  ) {}

  /** Rewrite every `reference` in `resource` in place. */
  async rewrite(resource: object): Promise<void> {
    const pending: Array<Promise<void>> = [];
    walk(resource, (holder) => {
      const ref = holder.reference;
      if (typeof ref !== 'string') return;
      const mapped = this.identities.get(ref);
      if (mapped) {
        holder.reference = mapped;
        return;
      }
      const m = CONDITIONAL_REFERENCE.exec(ref);
      if (m)
        pending.push(
          this.#resolve(m[1]!, m[2]!, ref).then((r) => {
            holder.reference = r;
          }),
        );
      else if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:')) {
        throw new FhirError('invalid', `Reference ${ref} does not match any fullUrl in the Bundle`);
      }
    });
    await Promise.all(pending);
  }

  #resolve(type: string, query: string, ref: string): Promise<string> {
    let found = this.#conditional.get(ref);
    if (!found) {
      found = findMatches(this.deps, this.ctx, type, parseQuery(query)).then((matches) => {
        if (matches.length === 0)
          throw new FhirError('not-found', `Conditional reference ${ref} matches no resource`);
        if (matches.length > 1)
          throw new FhirError(
            'multiple-matches',
            `Conditional reference ${ref} matches more than one resource`,
          );
        return `${type}/${matches[0]!.id}`;
      });
      this.#conditional.set(ref, found);
    }
    return found;
  }
}

type Holder = Record<string, unknown> & { reference?: unknown };

/** Visit every object that has a `reference` member (a Reference), skipping nested resources' narrative. */
function walk(value: unknown, visit: (holder: Holder) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Holder;
  if ('reference' in obj) visit(obj);
  for (const key in obj) {
    const child = obj[key];
    if (child !== null && typeof child === 'object') walk(child, visit);
  }
}
