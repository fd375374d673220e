import type { ExtractedParam } from '../index-values.js';
import type { SearchParameterRegistry } from '../registry.js';
import { extractSearchValues } from './extract.js';

const FROM_METADATA = new Set(['_id', '_lastUpdated', '_text', '_content']);

/**
 * The parameters a search index stores for one version of a resource: the
 * extracted ones, plus `_id` and `_lastUpdated` taken from the version's
 * metadata (full text is indexed separately, see {@link resourceText}).
 *
 * @example
 * ```ts
 * indexedParams(patient, 'p1', '2024-01-01T00:00:00.000Z', registry).map((p) => p.code); // [..., '_id', '_lastUpdated']
 * ```
 */
export function indexedParams(
  resource: object,
  id: string,
  lastUpdated: string,
  registry: SearchParameterRegistry,
): ExtractedParam[] {
  const lu = Date.parse(lastUpdated);
  const params = extractSearchValues(resource, registry).filter((p) => !FROM_METADATA.has(p.code));
  params.push(
    { code: '_id', type: 'token', values: [{ kind: 'token', code: id }] },
    { code: '_lastUpdated', type: 'date', values: [{ kind: 'date', low: lu, high: lu }] },
  );
  return params;
}

/**
 * The full text of a resource for `_text` (its narrative, tags stripped) and
 * `_content` (every string value, narrative included; urls, systems and
 * references left out).
 *
 * @example
 * ```ts
 * resourceText({ resourceType: 'Patient', text: { div: '<div>Hi <b>Bob</b></div>' }, name: [{ family: 'Smith' }] });
 * // { text: 'Hi Bob', content: 'Hi Bob Smith' }
 * ```
 */
export function resourceText(resource: object): { text: string; content: string } {
  const div = (resource as { text?: { div?: unknown } }).text?.div;
  const parts: string[] = [];
  collect(resource, parts, true);
  return { text: typeof div === 'string' ? stripTags(div) : '', content: parts.join(' ') };
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function collect(value: unknown, out: string[], top: boolean): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out, false);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (top && (k === 'resourceType' || k === 'id' || k === 'meta')) continue;
      if (k === 'div' && typeof v === 'string') out.push(stripTags(v));
      else if (k !== 'url' && k !== 'system' && k !== 'reference') collect(v, out, false);
    }
  }
}

/**
 * A uri and each of its ancestors by path segment, for `:above`:
 * `http://a/b/c` → `http://a/b/c`, `http://a/b`, `http://a`.
 *
 * @example
 * ```ts
 * uriAncestors('http://a/b/c'); // ['http://a/b/c', 'http://a/b', 'http://a']
 * ```
 */
export function uriAncestors(value: string): string[] {
  const out = [value];
  let s = value;
  for (let i = s.lastIndexOf('/'); i > 0 && !s.slice(0, i).endsWith('/'); i = s.lastIndexOf('/')) {
    s = s.slice(0, i);
    out.push(s);
  }
  return out;
}
