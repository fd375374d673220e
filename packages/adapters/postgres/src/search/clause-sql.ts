/**
 * Translation of parsed search clauses (core's query layer) into SQL
 * predicates over the search tables: each clause is a sub-query on the table
 * of its value kind (`id IN (…)`, or `NOT EXISTS` for negations), chains and
 * `_has` nest a query on the target / source type. PostgreSQL plans the rest.
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

/** A predicate: `r` has a row of `param` in `table` matching `cond` (conditions on alias `x`). */
function hasRow(
  q: SqlParams,
  env: ClauseEnv,
  type: string,
  r: string,
  param: string,
  table: IndexTable,
  cond: (x: string) => string,
) {
  const x = q.alias('x');
  const typeCond = type === '*' ? '' : `${x}.type = ${q.p(type)} AND `;
  const where = `${typeCond}${x}.param = ${q.p(param)} AND (${cond(x)})`;
  return keyIn(
    type,
    r,
    (cols) => `SELECT ${cols} FROM ${env.tables[table]} ${x} WHERE ${where}`,
    `${x}.type`,
    `${x}.id`,
  );
}

function hasNoRow(
  q: SqlParams,
  env: ClauseEnv,
  r: string,
  param: string,
  table: IndexTable,
  cond: (x: string) => string,
) {
  const x = q.alias('x');
  return `NOT EXISTS (SELECT 1 FROM ${env.tables[table]} ${x} WHERE ${x}.type = ${r}.type AND ${x}.id = ${r}.id
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
  if (first?.kind === 'text') {
    const column = code === '_text' ? 'ft_text' : 'ft_content';
    const alts = values.map((v) => {
      const query = v.kind === 'text' ? tsQuery(v.text) : undefined;
      return query ? `${r}.${column} @@ to_tsquery('simple', ${q.p(query)})` : 'FALSE';
    });
    return alts.join(' OR ');
  }
  if (first?.kind === 'composite')
    return compositeSql(q, env.tables.composite, type, r, code, values, (v) =>
      valueSql(q, undefined, v, env.now),
    );
  const compiled = values.map((v) => valueSql(q, modifier, v, env.now));
  const parts: string[] = [];
  const byTable = new Map<IndexTable, string[]>();
  for (const c of compiled.filter((c) => !c.negate && c.cond !== 'FALSE')) {
    const list = byTable.get(c.table) ?? [];
    list.push(c.cond);
    byTable.set(c.table, list);
  }
  for (const [table, conds] of byTable)
    parts.push(
      hasRow(q, env, type, r, code, table, (x) => conds.map((c) => c.replaceAll('x.', `${x}.`)).join(' OR ')),
    );
  for (const c of combineNegations(compiled)) {
    let p = hasNoRow(q, env, r, code, c.table, (x) => c.cond.replaceAll('x.', `${x}.`));
    if (c.within !== undefined) {
      const within = c.within;
      p = `${p} AND ${hasRow(q, env, type, r, code, c.table, (x) => within.replaceAll('x.', `${x}.`))}`;
    }
    parts.push(`(${p})`);
  }
  return parts.length === 0 ? 'FALSE' : parts.join(' OR ');
}

/**
 * The negated values of an OR: `:not=a,b` (and `:not-in`) excludes every
 * resource with a row matching a or b, so plain negations of one table are
 * one exclusion; a negation bounded by `within` (`ne` prefixes) stays on its own.
 */
function combineNegations(compiled: ValueSql[]): ValueSql[] {
  const out = compiled.filter((c) => c.negate && c.within !== undefined);
  const plain = new Map<IndexTable, string[]>();
  for (const c of compiled.filter((c) => c.negate && c.within === undefined)) {
    const conds = plain.get(c.table) ?? [];
    conds.push(`(${c.cond})`);
    plain.set(c.table, conds);
  }
  for (const [table, conds] of plain) out.push({ table, cond: conds.join(' OR '), negate: true });
  return out;
}

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
