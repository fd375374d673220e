/**
 * The FHIR regexes are written for Java, where `\s` / `\S` mean ASCII
 * whitespace only (`[ \t\n\x0B\f\r]`). In JavaScript they also cover Unicode
 * spaces such as U+00A0, so `[ \r\n\t\S]+` (the `string` regex) would reject
 * a no-break space. Rewrite them to the Java meaning.
 *
 * @example
 * ```ts
 * javaRegexToJs('[ \\r\\n\\t\\S]+'); // '[^\\x0B\\f]+'
 * javaRegexToJs('[^\\s]+(\\s[^\\s]+)*'); // '[^ \\t\\n\\x0B\\f\\r]+([ \\t\\n\\x0B\\f\\r][^ \\t\\n\\x0B\\f\\r]+)*'
 * ```
 */
export function javaRegexToJs(source: string): string {
  const WS = ' \\t\\n\\x0B\\f\\r';
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1];
      i++;
      if (next === 's') out += `[${WS}]`;
      else if (next === 'S') out += `[^${WS}]`;
      else out += `\\${next}`;
    } else if (ch === '[') {
      const end = classEnd(source, i);
      out += translateClass(source.slice(i + 1, end));
      i = end;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Index of the `]` closing the class opened at `start`. */
function classEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i;
  }
  throw new Error(`Unclosed character class in ${source}`);
}

/** Translate the body of a character class (without brackets). */
function translateClass(body: string): string {
  const negated = body.startsWith('^');
  const items: string[] = [];
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    items.push(body[i] === '\\' ? body.slice(i, ++i + 1) : (body[i] as string));
  }
  const hasS = items.includes('\\S');
  const rest = items.filter((x) => x !== '\\S' && x !== '\\s');
  const hasWs = items.includes('\\s');
  if (!hasS) {
    const ws = hasWs ? ' \\t\\n\\x0B\\f\\r' : '';
    return `[${negated ? '^' : ''}${rest.join('')}${ws}]`;
  }
  if (negated || hasWs) throw new Error(`Unsupported class [${body}]`);
  // [abc\S] = any non-whitespace, or a, b, c: the complement of the whitespace not listed.
  const whitespace: [string, string][] = [
    [' ', ' '],
    ['\\t', '\t'],
    ['\\n', '\n'],
    ['\\x0B', '\x0B'],
    ['\\f', '\f'],
    ['\\r', '\r'],
  ];
  const listed = new Set(rest.map((x) => whitespace.find(([esc, lit]) => x === esc || x === lit)?.[0] ?? x));
  if (rest.some((x) => !whitespace.some(([esc, lit]) => x === esc || x === lit))) {
    throw new Error(`Unsupported class [${body}]`);
  }
  return `[^${whitespace
    .filter(([esc]) => !listed.has(esc))
    .map(([esc]) => esc)
    .join('')}]`;
}
