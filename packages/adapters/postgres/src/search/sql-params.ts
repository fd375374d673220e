import { FhirError } from '@fhirstream/core';
import type { IndexTable } from './search-tables.js';

/** The most parameters PostgreSQL binds to one statement. */
export const MAX_PARAMETERS = 65_535;

/** Collects the parameters of one SQL statement. */
export class SqlParams {
  readonly values: unknown[] = [];
  #alias = 0;
  /**
   * A placeholder for `value`. Long OR lists are bound as arrays
   * (`value-lists.ts`); a search that still needs more parameters than
   * PostgreSQL allows is refused (400) rather than failing in the protocol.
   */
  p(value: unknown): string {
    if (this.values.length >= MAX_PARAMETERS)
      throw new FhirError('too-large', `The search needs more than ${MAX_PARAMETERS} SQL parameters`, {
        status: 400,
      });
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
