/**
 * The terminology a search needs to expand `:in` / `:not-in` / `:below` /
 * `:above`: ValueSets (compose or expansion) and CodeSystem hierarchies,
 * official (compiled from the R4 package) or stored on the server.
 */
import type { CodeSystemTree } from './code-system-tree.js';

/** One code of an expansion. */
export interface SystemCode {
  system: string;
  code: string;
}

/** A `ValueSet.compose.include` / `exclude` entry, codes only. */
export interface ComposeInclude {
  system?: string;
  /** `include.version`: the version of `system` (kept for stored ValueSets only). */
  version?: string;
  /** Enumerated codes (`concept[].code`). */
  concept?: string[];
  filter?: Array<{ property: string; op: string; value: string }>;
  /** Imported ValueSets: canonical URLs, with their `|version` for stored ValueSets, without for official ones. */
  valueSet?: string[];
}

/** What expansion needs of a ValueSet: its expansion when it has one, else its compose. */
export interface ValueSetSource {
  /**
   * Canonical URL — `url|version` for a stored ValueSet with a version,
   * `ValueSet/<id>` for one without `url` — used in messages and cycle checks.
   */
  url: string;
  /** `expansion.contains`, flattened (takes precedence over `compose`). */
  expansion?: SystemCode[];
  include?: ComposeInclude[];
  exclude?: ComposeInclude[];
  /** Whether it comes from the official R4 package (its expansion can be cached). */
  official?: boolean;
}

/**
 * A synchronous view of the terminology available to one search: the parser
 * expands with it. Made by {@link resolveSearchTerminology} (official plus the
 * stored resources the search refers to) or {@link officialTerminology}.
 */
export interface TerminologyLookup {
  /**
   * A ValueSet by `ValueSet/<id>` or by canonical: `url|version` names that
   * version, `url` alone the most recent one (see `pickVersion`).
   */
  valueSet(ref: string): ValueSetSource | undefined;
  /** A CodeSystem whose concepts (and hierarchy) are known, by canonical (`url` or `url|version`, as for ValueSets). */
  codeSystem(canonical: string): CodeSystemTree | undefined;
  /** Appended to the message for an unknown ValueSet (e.g. where stored ones are not looked up). */
  readonly unknownHint?: string;
}
