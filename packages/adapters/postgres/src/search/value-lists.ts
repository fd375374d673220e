/**
 * OR lists bound as arrays. The alternatives of a clause (the values of a
 * comma list, the codes of a `:in` expansion) are compiled one by one with
 * {@link TemplateParams}: their SQL with a marker `⟨i⟩` per argument, a
 * *template*. Alternatives of one template differ only in their arguments, so
 * they are bound together, one array parameter per varying argument, and the
 * parameters of a statement no longer grow with the number of values
 * (PostgreSQL binds at most 65,535):
 *
 * - column equalities (`x.system = ⟨0⟩ AND x.value = ⟨1⟩`, also `x.c = ANY(⟨0⟩::text[])`),
 *   from two alternatives on: `x.value = ANY($1::text[])`, or for several
 *   columns `x.value = ANY($2::text[]) AND (x.system, x.value) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
 *   (the `= ANY` on the column with the most distinct values is an index
 *   condition in any context; alone, the `IN` drives an index scan per pair);
 * - any other template (date ranges, prefixes, composites), from
 *   {@link GENERIC_MIN} alternatives on: a join with the `unnest` of the
 *   arguments, e.g. `FROM dt x, unnest($1::float8[], $2::float8[]) AS v1(a0, a1) WHERE … x.low >= v1.a0 AND …`.
 *   Below that they stay an OR of conditions, which PostgreSQL plans better
 *   (a BitmapOr of range scans, with estimates from the column statistics).
 *
 * One alternative keeps its SQL as it was, one parameter per argument.
 */
import { SqlParams } from './sql-params.js';

/** From this many alternatives of one template that is not made of column equalities, bind them as arrays. */
export const GENERIC_MIN = 1_000;

const MARKER = /⟨(\d+)⟩/g;
const EQUALS = /^([a-z][a-z0-9_]*\.[a-z_]+) = ⟨(\d+)⟩$/;
const EQUALS_ANY = /^([a-z][a-z0-9_]*\.[a-z_]+) = ANY\(⟨(\d+)⟩::text\[\]\)$/;

/**
 * Parameters recorded as markers `⟨i⟩` (the arguments in `values`) instead
 * of placeholders; aliases are numbered from `aliasBase`, the same for every
 * alternative, so that alternatives of one shape give the same template.
 *
 * @example
 * ```ts
 * const t = new TemplateParams('c3');
 * `x.system = ${t.p('http://loinc.org')} AND x.value = ${t.p('1234-5')}`; // 'x.system = ⟨0⟩ AND x.value = ⟨1⟩'
 * t.values; // ['http://loinc.org', '1234-5']
 * t.alias('c'); // 'c3_c1'
 * ```
 */
export class TemplateParams extends SqlParams {
  #aliases = 0;
  constructor(readonly aliasBase = 't') {
    super();
  }
  override p(value: unknown): string {
    this.values.push(value);
    return `⟨${this.values.length - 1}⟩`;
  }
  override alias(prefix: string): string {
    return `${this.aliasBase}_${prefix}${++this.#aliases}`;
  }
}

/** One alternative: SQL parts (templates sharing the markers) and the arguments of their markers. */
export interface Alternative {
  parts: string[];
  args: unknown[];
}

/**
 * SQL of an OR list: a condition, and the FROM item it refers to (`''`, or the
 * `unnest` of the value rows of a list bound as arrays: joined rather than
 * tested with `EXISTS`, the planner can drive an index scan from each row).
 */
export interface ListSql {
  cond: string;
  from: string;
}

/**
 * The OR of `alternatives`, each one condition (one part), bound into `q`.
 *
 * @example
 * ```ts
 * anyOf(q, [{ parts: ['x.value = ⟨0⟩'], args: ['a'] }]); // { cond: 'x.value = $1', from: '' }
 * anyOf(q, ['a', 'b', 'c'].map((c) => ({ parts: ['x.value = ⟨0⟩'], args: [c] }))); // { cond: 'x.value = ANY($2::text[])', from: '' }
 * anyOf(q, dates); // { cond: 'x.low >= v1.a0 AND x.low <= v1.a1 AND x.high <= v1.a1', from: 'unnest($3::float8[], $4::float8[]) AS v1(a0, a1)' }
 * ```
 */
export function anyOf(q: SqlParams, alternatives: Alternative[]): ListSql {
  return listSql(q, alternatives, (parts) => parts[0]!, true);
}

/**
 * The OR over `alternatives` of `build(parts)`, the markers of the parts bound into `q`.
 *
 * @example
 * ```ts
 * // `ne` dates: no value in the range, but some value
 * eachOf(q, alternatives, ([cond, within]) => `NOT EXISTS (… ${cond} …) AND EXISTS (… ${within} …)`);
 * ```
 */
export function eachOf(
  q: SqlParams,
  alternatives: Alternative[],
  build: (parts: string[]) => string,
): string {
  const { cond, from } = listSql(q, alternatives, build, false);
  return from ? `EXISTS (SELECT 1 FROM ${from} WHERE ${cond})` : cond;
}

/** `equalities`: the parts are one condition, which may be bound as column equalities. */
function listSql(
  q: SqlParams,
  alternatives: Alternative[],
  build: (parts: string[]) => string,
  equalities: boolean,
): ListSql {
  const groups = new Map<string, { parts: string[]; rows: Map<string, unknown[]> }>();
  for (const a of alternatives) {
    const key = a.parts.join('\u0002');
    const group = groups.get(key) ?? { parts: a.parts, rows: new Map() };
    group.rows.set(rowKey(a.args), a.args);
    groups.set(key, group);
  }
  const out: ListSql[] = [];
  for (const { parts, rows } of groups.values())
    out.push(...groupSql(q, parts, [...rows.values()], build, equalities));
  if (out.length === 0) return { cond: 'FALSE', from: '' };
  if (out.length === 1) return out[0]!;
  const conds = out.map((o) => (o.from ? `EXISTS (SELECT 1 FROM ${o.from} WHERE ${o.cond})` : o.cond));
  return { cond: conds.map((c) => `(${c})`).join(' OR '), from: '' };
}

function groupSql(
  q: SqlParams,
  parts: string[],
  rows: unknown[][],
  build: (parts: string[]) => string,
  equalities: boolean,
): ListSql[] {
  const inline = () =>
    rows.map((row) => ({
      cond: build(
        fill(
          parts,
          row.map((v) => q.p(v)),
        ),
      ),
      from: '',
    }));
  if (rows.length === 1) return inline();
  if (equalities && parts.length === 1) {
    const eq = equalitySql(q, parts[0]!, rows);
    if (eq !== undefined) return [{ cond: eq, from: '' }];
  }
  if (rows.length < GENERIC_MIN) return inline();
  const width = rows[0]!.length;
  const varying = varyingArgs(rows);
  const types = new Map<number, string>();
  for (const i of varying) {
    const type = pgType(rows.map((row) => row[i]));
    if (type === undefined) return inline();
    types.set(i, type);
  }
  const v = q.alias('v');
  const arrays: string[] = [];
  const names: string[] = [];
  const refs = Array.from({ length: width }, (_, i) => {
    if (!types.has(i)) return q.p(rows[0]![i]);
    arrays.push(`${q.p(rows.map((row) => row[i]))}::${types.get(i)}[]`);
    names.push(`a${i}`);
    return `${v}.a${i}`;
  });
  return [
    { cond: build(fill(parts, refs)), from: `unnest(${arrays.join(', ')}) AS ${v}(${names.join(', ')})` },
  ];
}

/**
 * `template` over `rows` as column equalities bound as arrays, when it is a
 * conjunction whose varying arguments each appear once, as `col = ⟨i⟩` or
 * `col = ANY(⟨i⟩::text[])` (whose arrays are spread into rows).
 */
function equalitySql(q: SqlParams, template: string, rows: unknown[][]): string | undefined {
  if (template.includes(' OR ')) return undefined;
  const pieces = unwrap(template).split(' AND ');
  if (!pieces.every(balanced)) return undefined;
  const varying = varyingArgs(rows);
  const columns = new Map<number, { col: string; spread: boolean }>();
  const fixed: string[] = [];
  for (const piece of pieces) {
    const used = [...piece.matchAll(MARKER)].map((m) => Number(m[1]));
    if (!used.some((i) => varying.includes(i))) {
      fixed.push(piece);
      continue;
    }
    const plain = EQUALS.exec(piece);
    const spread = plain ? null : EQUALS_ANY.exec(piece);
    const m = plain ?? spread;
    const i = Number(m?.[2]);
    if (!m || columns.has(i)) return undefined;
    columns.set(i, { col: m[1]!, spread: spread !== null });
  }
  for (const i of varying) if (!columns.has(i) || template.split(`⟨${i}⟩`).length !== 2) return undefined;
  const order = [...columns.keys()];
  let all: unknown[][];
  if (order.some((i) => columns.get(i)!.spread)) {
    // One tuple of column values per combination of the spread arrays' elements.
    const tuples = new Map<string, unknown[]>();
    for (const row of rows) {
      let acc: unknown[][] = [[]];
      for (const i of order) {
        const value = row[i];
        if (columns.get(i)!.spread && !Array.isArray(value)) return undefined;
        const options = columns.get(i)!.spread ? (value as unknown[]) : [value];
        acc = acc.flatMap((a) => options.map((o) => [...a, o]));
      }
      for (const t of acc) tuples.set(rowKey(t), t);
    }
    all = [...tuples.values()];
  } else all = rows.map((row) => order.map((i) => row[i])); // distinct already: the other arguments are constant
  if (all.length === 0) return 'FALSE';
  const cols = order.map((i, j) => {
    const values = all.map((t) => t[j]);
    const type = pgType(values);
    const distinct = new Set(type ? values : values.map(keyOf)).size;
    return { col: columns.get(i)!.col, values, distinct, type };
  });
  const free = cols.filter((c) => c.distinct > 1);
  if (free.some((c) => c.type === undefined)) return undefined;
  // Bound from here on: the constants once, then one array per varying column.
  const conds = fill(
    fixed,
    rows[0]!.map((v, i) => (varying.includes(i) ? '' : q.p(v))),
  );
  for (const c of cols) if (c.distinct === 1) conds.push(`${c.col} = ${q.p(c.values[0])}`);
  const arrays = free.map((c) => `${q.p(c.values)}::${c.type}[]`);
  if (free.length === 1) conds.push(`${free[0]!.col} = ANY(${arrays[0]})`);
  else if (free.length > 1) {
    // The most distinct column (the later on a tie: the code rather than the system) as an index condition.
    const pivot = free.reduce((best, c, j) => (c.distinct >= free[best]!.distinct ? j : best), 0);
    conds.push(
      `${free[pivot]!.col} = ANY(${arrays[pivot]})`,
      `(${free.map((c) => c.col).join(', ')}) IN (SELECT * FROM unnest(${arrays.join(', ')}))`,
    );
  }
  return conds.join(' AND ');
}

/** The indexes of the arguments that differ between rows. */
function varyingArgs(rows: unknown[][]): number[] {
  const first = rows[0]!;
  return first.flatMap((v, i) => (rows.some((row) => !same(row[i], v)) ? [i] : []));
}

/** The element type of an array parameter of `values`: all strings, or all numbers. */
function pgType(values: unknown[]): string | undefined {
  if (values.every((v) => typeof v === 'string')) return 'text';
  if (values.every((v) => typeof v === 'number')) return 'float8';
  return undefined;
}

function fill(parts: string[], refs: string[]): string[] {
  return parts.map((p) => p.replace(MARKER, (_, i: string) => refs[Number(i)]!));
}

/** `sql` without parentheses around all of it. */
function unwrap(sql: string): string {
  while (sql.startsWith('(') && sql.endsWith(')') && balanced(sql.slice(1, -1))) sql = sql.slice(1, -1);
  return sql;
}

function balanced(piece: string): boolean {
  let depth = 0;
  for (const ch of piece) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** A key of `v`, the same for equal values (arrays by their elements). */
const keyOf = (v: unknown): string => {
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'number') return `n${v};`;
  const json = JSON.stringify(v) ?? String(v);
  return `j${json.length}:${json}`;
};
/** A key of `row`: its keys one after the other (each says where it ends). */
const rowKey = (row: unknown[]): string => {
  let key = '';
  for (const v of row) key += keyOf(v);
  return key;
};
const same = (a: unknown, b: unknown) => a === b || (typeof a === 'object' && keyOf(a) === keyOf(b));
