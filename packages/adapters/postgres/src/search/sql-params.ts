import type { IndexTable } from './search-tables.js';

/** Collects the parameters of one SQL statement. */
export class SqlParams {
  readonly values: unknown[] = [];
  #alias = 0;
  /** A placeholder for `value`. */
  p(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A fresh table alias. */
  alias(prefix: string): string {
    return `${prefix}${++this.#alias}`;
  }
}

/** A value condition on one row of an index table (alias `x`), possibly negated. */
export interface ValueSql {
  table: IndexTable;
  cond: string;
  negate?: boolean;
  /** For a negation: the rows the resource must have at all (else it is not a candidate). */
  within?: string;
}
