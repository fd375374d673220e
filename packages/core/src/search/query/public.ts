/**
 * The engine-independent search query layer: request parsing and validation,
 * result parameters, and paging cursors. Re-exported by `@fhirstream/core`.
 */
export {
  compareSortTuples,
  decodeCursor,
  encodeCursor,
  type PageCursor,
  queryFingerprint,
  type SortTuple,
  type SortValue,
} from './cursor.js';
export { type ClauseEnv, FULL_TEXT_PARAMS, parseClause, SearchRejection } from './parse-clause.js';
export {
  CURSOR_PARAM,
  officialSearchParameters,
  type ParseSearchOptions,
  parseSearchRequest,
} from './parse-request.js';
export {
  dateRange,
  normalizeSearchString,
  parseNumber,
  splitEscaped,
  unescapeValue,
} from './parse-values.js';
export type * from './types.js';
