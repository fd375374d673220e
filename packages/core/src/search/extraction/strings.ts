/**
 * String normalization shared by extraction and queries: both sides of a
 * `string` search must fold text the same way.
 */

const COMBINING_MARKS = /\p{M}/gu;
const WHITESPACE_RUN = /\s+/g;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const NEEDS_SPACE_FIX = / {2}|^ | $/;

/**
 * Normalize text for `string` search: Unicode NFD with combining marks
 * (accents, diacritics) removed, lowercased, whitespace runs collapsed to
 * one space and trimmed. Punctuation is kept.
 *
 * @example
 * ```ts
 * normalizeString('  Zoë  Ann '); // 'zoe ann'
 * normalizeString('MÜLLER'); // 'muller'
 * ```
 */
export function normalizeString(text: string): string {
  if (PLAIN_ASCII.test(text)) {
    const lower = text.toLowerCase();
    return NEEDS_SPACE_FIX.test(lower) ? lower.replace(WHITESPACE_RUN, ' ').trim() : lower;
  }
  return text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().replace(WHITESPACE_RUN, ' ').trim();
}
