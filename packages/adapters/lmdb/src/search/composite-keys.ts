/**
 * The index keys of composite search parameters (one key per extracted
 * composite value, i.e. per repetition of the composite's base element):
 *
 * | tag  | layout after `[tag, type, code]`          | answers                                   |
 * |------|-------------------------------------------|-------------------------------------------|
 * | `c`  | system, code (first component, a token), rest | a composite whose first component is a token: range scan on the token, the other components checked on `rest` |
 * | `cx` | rest (every component)                    | any other composite: scan of the parameter's keys |
 *
 * `rest` is a JSON array with, per component, the key tails its value would
 * write as a plain parameter (`[tag, ...value]`, e.g. `['qc', 'm', 1.5]`), so
 * a component is checked with the probes of its own type (see `composite.ts`).
 * Because one key holds one composite value, every component of a match
 * comes from the same repetition.
 */
import type { CompositeValue, IndexValue } from '@fhirstream/core';
import type { Key } from 'lmdb';

/** Composite key tags (both count as presence of the parameter). */
export const COMPOSITE_TAG = 'c';
export const COMPOSITE_ANY_TAG = 'cx';

/** Tags not kept in `rest`: only `:text`, `:of-type`, `:exact`, `:identifier` use them, and composites take no modifiers. */
const UNUSED_TAGS = new Set(['tx', 'to', 'se', 'ri', 'riv']);

/** A longer `rest` is not indexed (LMDB keys are limited to ~2 KB; realistic values are far below). */
const MAX_REST = 1400;

/** One component's key tails: `[tag, ...value]` (the type, code and id of a plain key left out). */
export type ComponentKeys = Key[][];

/**
 * The key of one composite value (without the id), or `undefined` when a
 * component writes no usable key (the value can match no search).
 *
 * @example
 * ```ts
 * compositeKey('Observation', 'code-value-quantity', value, keysOfValue);
 * // ['c', 'Observation', 'code-value-quantity', 'http://loinc.org', '8302-2', '[[["q",150],["qu","cm",150],…]]']
 * ```
 */
export function compositeKey(
  type: string,
  code: string,
  v: CompositeValue,
  /** The keys the value would write as a plain parameter, `[tag, type, code, ...value]`. */
  keysOfValue: (value: IndexValue) => Key[][],
): Key[] | undefined {
  const tails: ComponentKeys[] = [];
  for (const c of v.components) {
    const keys = keysOfValue(c)
      .filter((k) => !UNUSED_TAGS.has(k[0] as string))
      .map((k) => [k[0]!, ...k.slice(3)]);
    if (keys.length === 0) return undefined;
    tails.push(keys);
  }
  if (v.components[0]?.kind === 'token') {
    const token = tails[0]!.find((k) => k[0] === 't');
    if (!token) return undefined;
    const rest = JSON.stringify(tails.slice(1));
    return rest.length > MAX_REST ? undefined : [COMPOSITE_TAG, type, code, token[1]!, token[2]!, rest];
  }
  const rest = JSON.stringify(tails);
  return rest.length > MAX_REST ? undefined : [COMPOSITE_ANY_TAG, type, code, rest];
}

/**
 * The component key tails stored in a composite key's `rest`.
 *
 * @example
 * ```ts
 * decodeRest('[[["q",150]]]'); // [[['q', 150]]]
 * ```
 */
export function decodeRest(rest: string): ComponentKeys[] {
  return JSON.parse(rest) as ComponentKeys[];
}
