/**
 * The concepts of a CodeSystem and their subsumption hierarchy (the nesting
 * of `CodeSystem.concept`), for `:below` / `:above` and `is-a` filters.
 */

/** A compiled concept: a leaf is its code, a parent is `[code, ...children]`. */
export type CompactConcept = string | [string, ...CompactConcept[]];

/** A FHIR `CodeSystem.concept` entry, as far as the hierarchy goes. */
export interface ConceptNode {
  code?: string;
  concept?: ConceptNode[];
}

/**
 * The codes of one complete CodeSystem, with parents and children.
 *
 * @example
 * ```ts
 * const tree = CodeSystemTree.fromConcepts('http://x', [{ code: 'a', concept: [{ code: 'b' }] }]);
 * tree.descendants('a'); // ['b']
 * tree.ancestors('b');   // ['a']
 * ```
 */
export class CodeSystemTree {
  /** Every code, in definition order. */
  readonly codes: string[] = [];
  readonly #parents = new Map<string, string[]>();
  readonly #children = new Map<string, string[]>();

  private constructor(readonly url: string) {}

  /** From the compiled form (`generated/code-systems.ts`). */
  static fromCompact(url: string, concepts: CompactConcept[]): CodeSystemTree {
    const tree = new CodeSystemTree(url);
    const walk = (c: CompactConcept, parent: string | undefined): void => {
      const [code, ...children] = typeof c === 'string' ? [c] : c;
      tree.#add(code, parent);
      for (const child of children as CompactConcept[]) walk(child, code);
    };
    for (const c of concepts) walk(c, undefined);
    return tree;
  }

  /** From the `concept` array of a CodeSystem resource. */
  static fromConcepts(url: string, concepts: ConceptNode[]): CodeSystemTree {
    const tree = new CodeSystemTree(url);
    const walk = (c: ConceptNode, parent: string | undefined): void => {
      if (!c.code) return;
      tree.#add(c.code, parent);
      for (const child of c.concept ?? []) walk(child, c.code);
    };
    for (const c of concepts) walk(c, undefined);
    return tree;
  }

  #add(code: string, parent: string | undefined): void {
    if (!this.#parents.has(code)) {
      this.codes.push(code);
      this.#parents.set(code, []);
    }
    if (parent === undefined) return;
    this.#parents.get(code)!.push(parent);
    const siblings = this.#children.get(parent) ?? [];
    siblings.push(code);
    this.#children.set(parent, siblings);
  }

  /** Whether `code` is a concept of this CodeSystem. */
  has(code: string): boolean {
    return this.#parents.has(code);
  }

  /** The codes directly above `code` (its parents). */
  parents(code: string): readonly string[] {
    return this.#parents.get(code) ?? [];
  }

  /** The codes directly below `code` (its children). */
  children(code: string): readonly string[] {
    return this.#children.get(code) ?? [];
  }

  /** Every code `code` subsumes (children, their children, ...), without `code` itself. */
  descendants(code: string): string[] {
    return this.#closure(code, this.#children);
  }

  /** Every code that subsumes `code` (parents, their parents, ...), without `code` itself. */
  ancestors(code: string): string[] {
    return this.#closure(code, this.#parents);
  }

  #closure(code: string, edges: Map<string, string[]>): string[] {
    const seen = new Set<string>([code]);
    const out: string[] = [];
    const stack = [...(edges.get(code) ?? [])];
    while (stack.length > 0) {
      const next = stack.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      out.push(next);
      stack.push(...(edges.get(next) ?? []));
    }
    return out;
  }
}
