/**
 * The `$import` kick-off body: a `Parameters` resource as in the Bulk Data
 * import draft (`inputFormat`, `inputSource`, `storageDetail`, repeated
 * `input` with parts `type` and `url`), or the same as plain JSON
 * (`{ inputFormat, input: [{ type, url }] }`, or an export manifest's
 * `output`). Inputs are local files only (absolute paths or `file:` URLs
 * inside the allowed directories) or inline ndjson (`data`, a Fhirstream
 * extension); remote URLs are refused.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FhirError, isResourceType } from '@fhirstream/core';
import { type ParameterEntry, parametersOf, parameterValue } from '../operation/parameters.js';

/** One input of an import. */
export interface ImportInput {
  /** Resource type the lines must have (optional in plain manifests: any type). */
  type?: string;
  /** As given (`inputUrl` in the status). */
  url: string;
  /** Local path to read, or undefined for inline data. */
  path?: string;
  /** Inline ndjson. */
  data?: string;
}

const FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

/**
 * Parse and check a kick-off body.
 *
 * @example
 * ```ts
 * importInputs({ resourceType: 'Parameters', parameter: [{ name: 'input', part: [
 *   { name: 'type', valueCode: 'Patient' }, { name: 'url', valueUri: 'file:///data/Patient.ndjson' } ] }] }, ['/data']);
 * ```
 */
export function importInputs(body: unknown, allowedDirectories: readonly string[]): ImportInput[] {
  if (!body || typeof body !== 'object')
    throw new FhirError('invalid', '$import needs a manifest (Parameters or JSON)');
  let raw: Array<{ type?: string; url?: string; data?: string }>;
  let format: string | undefined;
  if ((body as { resourceType?: string }).resourceType === 'Parameters') {
    raw = [];
    for (const p of parametersOf(body)) {
      if (p.name === 'inputFormat') format = parameterValue(p);
      else if (p.name === 'input') {
        const part = (name: string) => {
          const found = (p.part ?? []).find((x: ParameterEntry) => x.name === name);
          return found ? parameterValue(found) : undefined;
        };
        raw.push({ type: part('type'), url: part('url'), data: part('data') } as never);
      }
    }
  } else {
    const m = body as { inputFormat?: string; input?: typeof raw; output?: typeof raw };
    format = m.inputFormat;
    raw = m.input ?? m.output ?? [];
    if (!Array.isArray(raw)) throw new FhirError('invalid', 'The manifest input must be an array');
  }
  if (format !== undefined && !FORMATS.has(format))
    throw new FhirError('invalid', `Unsupported inputFormat: ${format} (use application/fhir+ndjson)`);
  if (raw.length === 0) throw new FhirError('invalid', 'The manifest has no input');
  return raw.map((r, i) => {
    if (r.type !== undefined && !isResourceType(r.type))
      throw new FhirError('invalid', `input[${i}].type is not a resource type: ${r.type}`);
    if (typeof r.data === 'string')
      return { ...(r.type ? { type: r.type } : {}), url: r.url ?? `inline:${i}`, data: r.data };
    if (typeof r.url !== 'string')
      throw new FhirError('invalid', `input[${i}] needs a url (a local file) or data`);
    return { ...(r.type ? { type: r.type } : {}), url: r.url, path: localPath(r.url, allowedDirectories) };
  });
}

function localPath(url: string, allowed: readonly string[]): string {
  let path: string;
  if (url.startsWith('file:')) path = fileURLToPath(url);
  else if (isAbsolute(url)) path = url;
  else
    throw new FhirError(
      'not-supported',
      `Only local files can be imported (file: URL or absolute path), not ${url}`,
    );
  path = resolve(path);
  const inside = allowed.some((dir) => {
    const rel = relative(resolve(dir), path);
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
  });
  if (!inside) throw new FhirError('forbidden', `${url} is outside the directories this server imports from`);
  return path;
}
