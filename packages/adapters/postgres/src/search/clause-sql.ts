/**
 * Translation of parsed search clauses (core's query layer) into SQL
 * predicates over the search tables: each clause is a sub-query on the table
 * of its value kind (`id IN (…)`, or `NOT EXISTS` for negations), chains and
 * `_has` nest a query on the target / source type. PostgreSQL plans the rest.
 * The values of a clause (an OR) are compiled one by one as templates, and
 * those of one shape bound together as arrays (`value-lists.ts`), so a long
 * list (a `:in` expansion) does not need a parameter per value.
 */
import {
  normalizeString,
  type ResourceStore,
  type SearchClause,
  uriAncestors,
  type ValueQuery,
} from '@fhirstream/core';
import { compositeSql } from './composite-sql.js';
import { clip } from './index-rows.js';
import { dateSql, numberSql, quantitySql } from './prefix-sql.js';
import type { IndexTable, SearchTables } from './search-tables.js';
import type { SqlParams, ValueSql } from './sql-params.js';
import { type Alternative, anyOf, eachOf, TemplateParams } from './value-lists.js';

export { SqlParams } from './sql-params.js';

/** What clause translation needs. */
export interface ClauseEnv {
  tables: SearchTables;
  store: ResourceStore;
  now: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');

/**
 * The AND of `clauses` as a predicate on the resource record alias `r` of
 * `type` (`'*'`: any type).
 *
 * @example
 * ```ts
 * const q = new SqlParams();
 * const where = await clausesSql(q, env, 'Patient', 'r', parsed.types[0].clauses);
 * // "r.id IN (SELECT x2.id FROM ... WHERE x2.type = $1 AND x2.param = $2 AND (x2.value = $3))"
 * ```
 */
export async function clausesSql(
  q: SqlParams,
  env: ClauseEnv,
  type: string,
  r: string,
  clauses: SearchClause[],
): Promise<string> {
  const parts: string[] = [];
  for (const clause of clauses) parts.push(await clauseSql(q, env, type, r, clause));
  return parts.length === 0 ? 'TRUE' : parts.map((p) => `(${p})`).join(' AND ');
}

/** `r`'s key is among the `(type, id)` / `id` rows selected by `select`. */
function keyIn(type: string, r: string, idSelect: (cols: string) => string, typeCol: string, idCol: string) {
  return type === '*'
    ? `(${r}.type, ${r}.id) IN (${idSelect(`${typeCol}, ${idCol}`)})`
    : `${r}.id IN (${idSelect(idCol)})`;
}

/**
 * A predicate: `r` has a row of `param` in `table` matching `cond` (conditions
 * on alias `x`, and on the FROM item `from` when not `''`).
 */
function hasRow(
  q: SqlParams,
  env: ClauseEnv,
  type: string,
  r: string,
  param: string,
  table: IndexTable,
  cond: (x: string) => string,
  from = '',
) {
  const x = q.alias('x');
  const typeCond = type === '*' ? '' : `${x}.type = ${q.p(type)} AND `;
  const where = `${typeCond}${x}.param = ${q.p(param)} AND (${cond(x)})`;
  const tables = `${env.tables[table]} ${x}${from && `, ${from}`}`;
  return keyIn(type, r, (cols) => `SELECT ${cols} FROM ${tables} WHERE ${where}`, `${x}.type`, `${x}.id`);
}

function hasNoRow(
  q: SqlParams,
  env: ClauseEnv,
  r: string,
  param: string,
  table: IndexTable,
  cond: (x: string) => string,
  from = '',
) {
  const x = q.alias('x');
  return `NOT EXISTS (SELECT 1 FROM ${env.tables[table]} ${x}${from && `, ${from}`} WHERE ${x}.type = ${r}.type AND ${x}.id = ${r}.id
    AND ${x}.param = ${q.p(param)} AND (${cond(x)}))`;
}

async function clauseSql(
  q: SqlParams,
  env: ClauseEnv,
  type: string,
  r: string,
  clause: SearchClause,
): Promise<string> {
  switch (clause.kind) {
    case 'param':
      return paramSql(q, env, type, r, clause.param.code, clause.modifier, clause.values);
    case 'chain': {
      const x = q.alias('x');
      const alts: string[] = [];
      for (const target of clause.targets) {
        const r2 = q.alias('r');
        const inner = await clausesSql(q, env, target.resourceType, r2, [target.inner]);
        const tt = q.p(target.resourceType);
        alts.push(
          `(${x}.ttype = ${tt} AND ${x}.tid IN (SELECT ${r2}.id FROM ${env.tables.res} ${r2} WHERE ${r2}.type = ${tt} AND ${inner}))`,
        );
      }
      const typeCond = type === '*' ? '' : `${x}.type = ${q.p(type)} AND `;
      const where = `${typeCond}${x}.param = ${q.p(clause.param.code)} AND (${alts.join(' OR ') || 'FALSE'})`;
      return keyIn(
        type,
        r,
        (cols) => `SELECT ${cols} FROM ${env.tables.reference} ${x} WHERE ${where}`,
        `${x}.type`,
        `${x}.id`,
      );
    }
    case 'has': {
      const x = q.alias('x');
      const r2 = q.alias('r');
      const src = q.p(clause.sourceType);
      const inner = await clausesSql(q, env, clause.sourceType, r2, [clause.inner]);
      const typeCond = type === '*' ? '' : ` AND ${x}.ttype = ${q.p(type)}`;
      const where = `${x}.type = ${src} AND ${x}.param = ${q.p(clause.param.code)}${typeCond}
        AND ${x}.id IN (SELECT ${r2}.id FROM ${env.tables.res} ${r2} WHERE ${r2}.type = ${src} AND ${inner})`;
      return keyIn(
        type,
        r,
        (cols) => `SELECT ${cols} FROM ${env.tables.reference} ${x} WHERE ${where}`,
        `${x}.ttype`,
        `${x}.tid`,
      );
    }
    case 'list': {
      const types: string[] = [];
      const ids: string[] = [];
      for (const listId of clause.lists) {
        const list = (await env.store.read('List', listId))?.resource as
          | { entry?: Array<{ item?: { reference?: string } }> }
          | undefined;
        for (const e of list?.entry ?? []) {
          const m = /^([A-Za-z]+)\/([^/]+)/.exec(e.item?.reference ?? '');
          if (m && (type === '*' || m[1] === type)) {
            types.push(m[1]!);
            ids.push(m[2]!);
          }
        }
      }
      return `(${r}.type, ${r}.id) IN (SELECT * FROM unnest(${q.p(types)}::text[], ${q.p(ids)}::text[]))`;
    }
    case 'compartment': {
      const x = q.alias('x');
      const members = `${r}.id IN (SELECT ${x}.id FROM ${env.tables.reference} ${x} WHERE ${x}.type = ${q.p(type)}
        AND ${x}.param = ANY(${q.p(clause.params.map((p) => p.code))}::text[])
        AND ${x}.ttype = ${q.p(clause.compartmentType)} AND ${x}.tid = ${q.p(clause.id)})`;
      return type === clause.compartmentType ? `${members} OR ${r}.id = ${q.p(clause.id)}` : members;
    }
  }
}

function paramSql(
  q: SqlParams,
  env: ClauseEnv,
  type: string,
  r: string,
  code: string,
  modifier: string | undefined,
  values: ValueQuery[],
): string {
  const first = values[0];
  if (first?.kind === 'missing') {
    const present = `${r}.present @> ARRAY[${q.p(code)}]::text[]`;
    return first.missing ? `NOT (${present})` : present;
  }
  if (first?.kind === 'text')
    return textSql(q, `${r}.${code === '_text' ? 'ft_text' : 'ft_content'}`, values);
  if (first?.kind === 'composite')
    return compositeSql(q, env.tables.composite, type, r, code, values, (t, v) =>
      valueSql(t, undefined, v, env.now),
    );
  // Each value as a template (its parameters as markers): values of one shape are bound together (value-lists.ts).
  const positive = new Map<IndexTable, Alternative[]>();
  const negative = new Map<IndexTable, Alternative[]>();
  const bounded = new Map<IndexTable, Alternative[]>();
  for (const v of values) {
    const t = new TemplateParams();
    const c = valueSql(t, modifier, v, env.now);
    if (!c.negate) {
      if (c.cond !== 'FALSE') listOf(positive, c.table).push({ parts: [c.cond], args: t.values });
    } else if (c.within === undefined) listOf(negative, c.table).push({ parts: [c.cond], args: t.values });
    else listOf(bounded, c.table).push({ parts: [c.cond, c.within], args: t.values });
  }
  const parts: string[] = [];
  const inX = (sql: string) => (x: string) => sql.replaceAll('x.', `${x}.`);
  for (const [table, alternatives] of positive) {
    const { cond, from } = anyOf(q, alternatives);
    parts.push(hasRow(q, env, type, r, code, table, inX(cond), from));
  }
  // A negation bounded by `within` (`ne` prefixes): no row matches, but some row is there.
  for (const [table, alternatives] of bounded) {
    const each = eachOf(
      q,
      alternatives,
      ([cond, within]) =>
        `${hasNoRow(q, env, r, code, table, inX(cond!))} AND ${hasRow(q, env, type, r, code, table, inX(within!))}`,
    );
    parts.push(`(${each})`);
  }
  // `:not=a,b` (and `:not-in`) excludes every resource with a row matching a or b: one exclusion per table.
  for (const [table, alternatives] of negative) {
    const { cond, from } = anyOf(q, alternatives);
    parts.push(`(${hasNoRow(q, env, r, code, table, inX(cond), from)})`);
  }
  return parts.length === 0 ? 'FALSE' : parts.join(' OR ');
}

function listOf<K, V>(map: Map<K, V[]>, key: K): V[] {
  const list = map.get(key) ?? [];
  map.set(key, list);
  return list;
}

/**
 * `_text` / `_content`: a match of any value's words, as one `tsquery` (an OR
 * of the values' queries), split in parts of at most {@link TSQUERY_WORDS} words
 * (a `tsquery` holds fewer than 32,768 nodes).
 */
function textSql(q: SqlParams, column: string, values: ValueQuery[]): string {
  const chunks: string[][] = [];
  let words = TSQUERY_WORDS;
  for (const v of values) {
    const query = v.kind === 'text' ? tsQuery(v.text) : undefined;
    if (query === undefined) continue;
    const n = query.split(' & ').length;
    if (words + n > TSQUERY_WORDS) {
      chunks.push([]);
      words = 0;
    }
    chunks.at(-1)!.push(query);
    words += n;
  }
  if (chunks.length === 0) return 'FALSE';
  return chunks
    .map(
      (c) =>
        `${column} @@ to_tsquery('simple', ${q.p(c.length === 1 ? c[0] : c.map((w) => `(${w})`).join(' | '))})`,
    )
    .join(' OR ');
}

const TSQUERY_WORDS = 10_000;

/** `_text` / `_content`: every word, as a prefix. */
function tsQuery(text: string): string | undefined {
  const words = normalizeString(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  return words.length === 0 ? undefined : words.map((w) => `'${w}':*`).join(' & ');
}

/** One OR-alternative, as a condition on the row alias `x.` (renamed by the caller). */
function valueSql(q: SqlParams, modifier: string | undefined, v: ValueQuery, now: number): ValueSql {
  switch (v.kind) {
    case 'token': {
      let cond: string;
      if (v.system === undefined) cond = `x.value = ${q.p(clip(v.code!))}`;
      else if (v.code === undefined) cond = `x.system = ${q.p(v.system)}`;
      else cond = `x.system = ${q.p(v.system)} AND x.value = ${q.p(clip(v.code))}`;
      return { table: 'token', cond, negate: modifier === 'not' };
    }
    case 'token-text':
      return { table: 'tokenText', cond: `x.text LIKE ${q.p(`${escapeLike(clip(v.text))}%`)}` };
    case 'token-of-type':
      return {
        table: 'token',
        cond: `x.tsys = ${q.p(v.typeSystem)} AND x.tcode = ${q.p(v.typeCode)} AND x.value = ${q.p(clip(v.value))}`,
      };
    case 'string':
      if (modifier === 'exact') return { table: 'string', cond: `x.exact = ${q.p(clip(v.value))}` };
      if (modifier === 'contains')
        return { table: 'string', cond: `x.norm LIKE ${q.p(`%${escapeLike(v.normalized)}%`)}` };
      return { table: 'string', cond: `x.norm LIKE ${q.p(`${escapeLike(clip(v.normalized))}%`)}` };
    case 'uri':
      if (modifier === 'below')
        return { table: 'uri', cond: `x.value LIKE ${q.p(`${escapeLike(clip(v.value))}%`)}` };
      if (modifier === 'above')
        return { table: 'uri', cond: `x.value = ANY(${q.p(uriAncestors(v.value).map(clip))}::text[])` };
      return { table: 'uri', cond: `x.value = ${q.p(clip(v.value))}` };
    case 'reference': {
      const alts: string[] = [];
      if (v.id !== undefined && v.types.length > 0)
        alts.push(`x.ttype = ANY(${q.p(v.types)}::text[]) AND x.tid = ${q.p(v.id)}`);
      if (v.url !== undefined && v.id === undefined) alts.push(`x.url = ${q.p(clip(v.url))}`);
      return {
        table: 'reference',
        cond: alts.length === 0 ? 'FALSE' : alts.map((a) => `(${a})`).join(' OR '),
      };
    }
    case 'reference-identifier':
      if (v.system !== undefined && v.value !== undefined)
        return { table: 'reference', cond: `x.isys = ${q.p(v.system)} AND x.ival = ${q.p(clip(v.value))}` };
      if (v.value !== undefined) return { table: 'reference', cond: `x.ival = ${q.p(clip(v.value))}` };
      return { table: 'reference', cond: `x.isys = ${q.p(v.system ?? '')} AND x.ival IS NOT NULL` };
    case 'date':
      return dateSql(q, v, now);
    case 'number':
      return numberSql(q, `x.k = 'n'`, v.prefix, v.value, v.low, v.high);
    case 'quantity':
      return quantitySql(q, v);
    case 'missing':
    case 'text':
    case 'composite':
      return { table: 'token', cond: 'FALSE' };
  }
}
