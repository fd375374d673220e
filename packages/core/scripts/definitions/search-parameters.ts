import type { SearchParameterDefinition } from '../../src/definitions/types.js';
import { byCodeUnit, type Json } from './package-reader.js';

/**
 * Collect the official SearchParameters: the `SearchParameter-*.json` files
 * plus any entry of `Bundle-searchParams.json` not present as a file (by URL).
 * The package's example SearchParameters (`.../SearchParameter/example*`) are
 * skipped: they redefine `_id` and `Condition.subject`. A few extension
 * parameters (`codesystem-extensions-CodeSystem-author`, ...) lack `base`; it
 * is taken from their id, `<prefix>-extensions-<Base>-<code>`.
 */
export function collectSearchParameters(files: Json[], bundle: Json | undefined, warnings: string[]): Json[] {
  const byUrl = new Map<string, Json>();
  const add = (sp: Json) => {
    const url = String(sp.url);
    if (/\/SearchParameter\/example(-|$)/.test(url)) return;
    if (!byUrl.has(url)) byUrl.set(url, sp);
  };
  for (const sp of files) add(sp);
  for (const entry of bundle?.entry ?? []) {
    if (entry.resource?.resourceType === 'SearchParameter') add(entry.resource);
  }
  const out: Json[] = [];
  for (const sp of byUrl.values()) {
    if (!Array.isArray(sp.base) || sp.base.length === 0) {
      const m = /-extensions-([A-Z][A-Za-z]+)-/.exec(String(sp.id));
      if (!m) {
        warnings.push(`SearchParameter ${sp.url}: no base, skipped`);
        continue;
      }
      sp.base = [m[1]];
    }
    out.push(sp);
  }
  return out.sort((a, b) => byCodeUnit(a.url, b.url));
}

/** Compact form of one SearchParameter (absent/empty fields omitted). */
export function compactSearchParameter(sp: Json): SearchParameterDefinition {
  const def: SearchParameterDefinition = {
    url: String(sp.url),
    code: String(sp.code),
    base: [...sp.base].map(String),
    type: sp.type,
  };
  if (sp.expression) def.expression = String(sp.expression);
  if (sp.target?.length) def.target = [...sp.target].map(String).sort(byCodeUnit);
  if (sp.modifier?.length) def.modifier = [...sp.modifier].map(String);
  if (sp.comparator?.length) def.comparator = [...sp.comparator].map(String);
  if (typeof sp.multipleOr === 'boolean') def.multipleOr = sp.multipleOr;
  if (typeof sp.multipleAnd === 'boolean') def.multipleAnd = sp.multipleAnd;
  if (sp.component?.length) {
    def.component = sp.component.map((c: Json) => ({
      definition: String(c.definition),
      expression: String(c.expression),
    }));
  }
  return def;
}

/**
 * Group the parameters by base type (sorted by code), adding `baseExpression`
 * where the expression spans several bases.
 */
export function searchParametersByBase(
  params: SearchParameterDefinition[],
): Map<string, SearchParameterDefinition[]> {
  const byBase = new Map<string, SearchParameterDefinition[]>();
  for (const sp of params) {
    for (const base of sp.base) {
      const entry: SearchParameterDefinition = { ...sp };
      const narrowed = sp.expression ? narrowExpression(sp.expression, base) : undefined;
      if (narrowed && narrowed !== sp.expression) entry.baseExpression = narrowed;
      const list = byBase.get(base);
      if (list) list.push(entry);
      else byBase.set(base, [entry]);
    }
  }
  for (const list of byBase.values())
    list.sort((a, b) => byCodeUnit(a.code, b.code) || byCodeUnit(a.url, b.url));
  return new Map([...byBase.entries()].sort((a, b) => byCodeUnit(a[0], b[0])));
}

/**
 * Keep only the top-level `|` alternatives of `expression` that start with
 * `base.` (or `(base.`), e.g. `Observation.code` out of
 * `AllergyIntolerance.code | ... | Observation.code`. Returns the expression
 * unchanged when no alternative names the base explicitly.
 */
export function narrowExpression(expression: string, base: string): string {
  const parts = splitTopLevelUnion(expression);
  if (parts.length < 2) return expression;
  const mine = parts.filter((p) => {
    const s = p.replace(/^\(+/, '');
    return s === base || s.startsWith(`${base}.`) || s.startsWith(`${base} `);
  });
  return mine.length === 0 ? expression : mine.join(' | ');
}

/** Split a FHIRPath expression on `|` outside parentheses, brackets and string literals. */
export function splitTopLevelUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '`') quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}
