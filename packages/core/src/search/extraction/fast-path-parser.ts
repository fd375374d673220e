/**
 * The parser of the fast path's simple expressions (see `fast-path.ts`);
 * anything outside this small grammar is left to the FHIRPath engine.
 */

type Token = { t: 'id' | 'str' | 'p'; v: string };

function tokenize(expression: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < expression.length && /[A-Za-z0-9_]/.test(expression[j]!)) j++;
      tokens.push({ t: 'id', v: expression.slice(i, j) });
      i = j;
    } else if (c === "'") {
      const j = expression.indexOf("'", i + 1);
      if (j < 0) return undefined;
      const text = expression.slice(i + 1, j);
      if (text.includes('\\')) return undefined;
      tokens.push({ t: 'str', v: text });
      i = j + 1;
    } else if ('.|()='.includes(c)) {
      tokens.push({ t: 'p', v: c });
      i++;
    } else {
      return undefined;
    }
  }
  return tokens;
}

/** One step of a simple expression, before it is typed. */
export type RawStep =
  | { k: 'name'; name: string }
  | { k: 'cast'; type: string }
  | { k: 'whereEq'; name: string; value: string }
  | { k: 'refIs'; type: string };

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(v: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.v === v && t.t !== 'str';
  }
  private expect(v: string): void {
    if (!this.peek(v)) throw new Error(`expected ${v}`);
    this.pos++;
  }
  private ident(): string {
    const t = this.tokens[this.pos];
    if (t?.t !== 'id') throw new Error('expected identifier');
    this.pos++;
    return t.v;
  }
  done(): boolean {
    return this.pos === this.tokens.length;
  }

  union(): RawStep[][] {
    const parts = [this.chain()];
    while (this.peek('|')) {
      this.pos++;
      parts.push(this.chain());
    }
    return parts;
  }

  private chain(): RawStep[] {
    let steps: RawStep[];
    if (this.peek('(')) {
      this.pos++;
      steps = this.chain();
      const as = this.ident();
      if (as !== 'as') throw new Error('expected as');
      steps.push({ k: 'cast', type: this.ident() });
      this.expect(')');
    } else {
      steps = [{ k: 'name', name: this.ident() }];
    }
    while (this.peek('.')) {
      this.pos++;
      const name = this.ident();
      if (!this.peek('(')) {
        steps.push({ k: 'name', name });
        continue;
      }
      this.pos++;
      if (name === 'as' || name === 'ofType') {
        steps.push({ k: 'cast', type: this.ident() });
      } else if (name === 'where') {
        const first = this.ident();
        if (first === 'resolve') {
          this.expect('(');
          this.expect(')');
          if (this.ident() !== 'is') throw new Error('expected is');
          steps.push({ k: 'refIs', type: this.ident() });
        } else {
          this.expect('=');
          const t = this.tokens[this.pos++];
          if (t?.t !== 'str') throw new Error('expected string');
          steps.push({ k: 'whereEq', name: first, value: t.v });
        }
      } else {
        throw new Error(`unsupported function ${name}`);
      }
      this.expect(')');
    }
    return steps;
  }
}

/**
 * Parse a simple FHIRPath expression (dotted paths, `|` unions, `as` /
 * `ofType` casts, `where(resolve() is T)`, `where(field = 'literal')`) into
 * `|`-separated chains of steps, or `undefined` when it is not that simple.
 *
 * @example
 * ```ts
 * parseSimple("Observation.value.as(Quantity) | Observation.component.value");
 * // [[name Observation, name value, cast Quantity], [name Observation, name component, name value]]
 * ```
 */
export function parseSimple(expression: string): RawStep[][] | undefined {
  const tokens = tokenize(expression);
  if (tokens === undefined) return undefined;
  try {
    const parser = new Parser(tokens);
    const parts = parser.union();
    return parser.done() ? parts : undefined;
  } catch {
    return undefined;
  }
}
