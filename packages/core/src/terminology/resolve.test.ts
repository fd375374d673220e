import type { CodeSystem, ValueSet } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { FhirError } from '../errors/fhir-error.js';
import { parseSearchRequest } from '../search/query/parse-request.js';
import type { ParamClause } from '../search/query/public.js';
import type { SearchEngine, SearchParams } from '../search/types.js';
import type { StoredResource } from '../store/types.js';
import {
  engineTerminologySource,
  resolveSearchTerminology,
  type TerminologyAccess,
  terminologyLoader,
} from './resolve.js';

const CS = 'http://example.org/fhir/CodeSystem/colors';
const VS = 'http://example.org/fhir/ValueSet/palette';
const GENDER_VS = 'http://hl7.org/fhir/ValueSet/administrative-gender';

/** A stored ValueSet enumerating `codes` of {@link CS}. */
const valueSet = (id: string, version: string | undefined, codes: string[], extra: Partial<ValueSet> = {}) =>
  ({
    resourceType: 'ValueSet',
    id,
    url: VS,
    ...(version ? { version } : {}),
    status: 'active',
    compose: { include: [{ system: CS, concept: codes.map((code) => ({ code })) }] },
    ...extra,
  }) as ValueSet;

/**
 * A search engine and store over `resources`, stored in that order (each
 * updated a second after the previous one), answering `url=` searches in
 * storage order, `pageSize` matches a page.
 */
function memoryServer(resources: Array<ValueSet | CodeSystem>, pageSize = 1000) {
  const stored: StoredResource[] = resources.map((r, i) => {
    const lastUpdated = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();
    const resource = { ...r, meta: { versionId: '1', lastUpdated } };
    return {
      ...{ resourceType: r.resourceType, id: r.id! },
      versionId: '1',
      lastUpdated,
      seq: i + 1,
      deleted: false,
      body: undefined,
      resource,
    };
  });
  const engine: SearchEngine = {
    projectors: [],
    parametersFor: () => [],
    async search(request) {
      const param = (name: string) => request.params.find(([n]) => n === name)?.[1];
      const offset = Number(param('_offset') ?? 0);
      const all = stored.filter(
        (s) => s.resourceType === request.resourceType && (s.resource as ValueSet).url === param('url'),
      );
      const rest = request.params.filter(([n]) => n !== '_offset');
      return {
        matches: all.slice(offset, offset + pageSize),
        included: [],
        selfParams: request.params,
        warnings: [],
        ...(offset + pageSize < all.length
          ? { next: [...rest, ['_offset', String(offset + pageSize)]] }
          : {}),
      };
    },
  };
  const store = {
    read: async (type: string, id: string) => stored.find((s) => s.resourceType === type && s.id === id),
  };
  return { engine, store };
}

/** The codes `code:in=<ref>` (or another terminology parameter) searches for, as the server resolves it. */
async function codesOf(
  resources: Array<ValueSet | CodeSystem>,
  params: SearchParams,
  options: { pageSize?: number; access?: TerminologyAccess } = {},
): Promise<string[]> {
  const { engine, store } = memoryServer(resources, options.pageSize);
  const source = engineTerminologySource(engine, store, undefined, options.access);
  const terminology = await resolveSearchTerminology(params, source);
  const parsed = parseSearchRequest(
    { resourceType: 'Observation', params, handling: 'strict' },
    terminology ? { terminology } : {},
  );
  const clause = parsed.types[0]!.clauses[0] as ParamClause;
  return clause.values.flatMap((v) => (v.kind === 'token' && v.system && v.code ? [v.code] : []));
}

async function rejection(promise: Promise<unknown>): Promise<FhirError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FhirError) return error;
    throw error;
  }
  throw new Error('expected a FhirError');
}

describe('canonical versions of stored ValueSets and CodeSystems (:in / :not-in / :below)', () => {
  it('without a version, the highest of two stored versions is used', async () => {
    const stored = [valueSet('v1', '1.0', ['red']), valueSet('v2', '2.0', ['blue'])];
    expect(await codesOf(stored, [['code:in', VS]])).toEqual(['blue']);
    expect(await codesOf(stored, [['code:not-in', VS]])).toEqual(['blue']);
  });

  it('url|1.0 uses that version although a higher one exists; without a version the higher wins over a later update', async () => {
    const stored = [valueSet('v2', '2.0', ['blue']), valueSet('v1', '1.0', ['red'])];
    expect(await codesOf(stored, [['code:in', `${VS}|1.0`]])).toEqual(['red']);
    expect(await codesOf(stored, [['code:in', `${VS}|2.0`]])).toEqual(['blue']);
    expect(await codesOf(stored, [['code:in', VS]])).toEqual(['blue']);
  });

  it('url|9.9 that no stored ValueSet has is a 400 invalid, as an unknown ValueSet', async () => {
    const stored = [valueSet('v1', '1.0', ['red']), valueSet('v2', '2.0', ['blue'])];
    const error = await rejection(codesOf(stored, [['code:in', `${VS}|9.9`]]));
    expect([error.status, error.code]).toEqual([400, 'invalid']);
    expect(error.message).toContain(`unknown ValueSet ${VS}|9.9`);
  });

  it('a versioned import (include.valueSet url|1.0) uses that version', async () => {
    const outer: ValueSet = {
      resourceType: 'ValueSet',
      id: 'outer',
      url: 'http://example.org/fhir/ValueSet/outer',
      status: 'active',
      compose: { include: [{ valueSet: [`${VS}|1.0`] }] },
    };
    const stored = [valueSet('v2', '2.0', ['blue']), valueSet('v1', '1.0', ['red']), outer];
    expect(await codesOf(stored, [['code:in', outer.url!]])).toEqual(['red']);
    const latest = {
      ...outer,
      id: 'latest',
      url: 'http://example.org/fhir/ValueSet/latest',
      compose: { include: [{ valueSet: [VS] }] },
    };
    expect(await codesOf([...stored, latest], [['code:in', latest.url]])).toEqual(['blue']);
    const missing = { ...outer, compose: { include: [{ valueSet: [`${VS}|9.9`] }] } };
    const error = await rejection(codesOf([...stored.slice(0, 2), missing], [['code:in', outer.url!]]));
    expect([error.status, error.code]).toEqual([400, 'invalid']);
    expect(error.message).toContain(`imports an unknown ValueSet ${VS}|9.9`);
  });

  it('include.system + include.version selects that stored CodeSystem version; without a version, the highest', async () => {
    const colors = (id: string, version: string, children: string[]): CodeSystem => ({
      resourceType: 'CodeSystem',
      id,
      url: CS,
      version,
      status: 'active',
      content: 'complete',
      concept: [{ code: 'warm', concept: children.map((code) => ({ code })) }],
    });
    const reds: ValueSet = {
      resourceType: 'ValueSet',
      id: 'warm-1',
      url: VS,
      status: 'active',
      compose: {
        include: [
          { system: CS, version: '1.0', filter: [{ property: 'concept', op: 'is-a', value: 'warm' }] },
        ],
      },
    };
    const stored = [colors('c2', '2.0', ['red', 'orange']), colors('c1', '1.0', ['red']), reds];
    expect(await codesOf(stored, [['code:in', VS]])).toEqual(['warm', 'red']);
    expect(await codesOf(stored, [['code:below', `${CS}|warm`]])).toEqual(['warm', 'red', 'orange']);
    const unknown = { ...reds, compose: { include: [{ ...reds.compose!.include[0]!, version: '9.9' }] } };
    const error = await rejection(codesOf([...stored.slice(0, 2), unknown], [['code:in', VS]]));
    expect([error.status, error.code]).toEqual([400, 'not-supported']);
    expect(error.message).toContain(`code system ${CS}|9.9 is not known here`);
  });

  it('official ValueSets: |4.0.1 or their own version names them; another version only a stored one', async () => {
    const female = { ...valueSet('g', '3.0.2', []), url: GENDER_VS };
    female.compose = {
      include: [{ system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'female' }] }],
    };
    expect(await codesOf([female], [['code:in', `${GENDER_VS}|4.0.1`]])).toEqual([
      'male',
      'female',
      'other',
      'unknown',
    ]);
    expect(await codesOf([female], [['code:in', GENDER_VS]])).toEqual(['male', 'female', 'other', 'unknown']);
    expect(await codesOf([female], [['code:in', `${GENDER_VS}|3.0.2`]])).toEqual(['female']);
    const error = await rejection(codesOf([], [['code:in', `${GENDER_VS}|3.0.2`]]));
    expect([error.status, error.code]).toEqual([400, 'invalid']);
    const v3 = 'http://terminology.hl7.org/ValueSet/v3-ActEncounterCode';
    expect(await codesOf([], [['code:in', `${v3}|2014-03-26`]])).toContain('AMB');
    expect(await codesOf([], [['code:in', `${v3}|4.0.1`]])).toContain('AMB');
  });

  it('a retired version is chosen only when no other one matches', async () => {
    const stored = [valueSet('v2', '2.0', ['blue'], { status: 'retired' }), valueSet('v1', '1.0', ['red'])];
    expect(await codesOf(stored, [['code:in', VS]])).toEqual(['red']);
    expect(await codesOf(stored, [['code:in', `${VS}|2.0`]])).toEqual(['blue']);
  });

  it('when the versions are not all dotted-numeric or semver, the most recently updated is used', async () => {
    const stored = [valueSet('v2', '2.0', ['blue']), valueSet('draft', 'draft-2024', ['red'])];
    expect(await codesOf(stored, [['code:in', VS]])).toEqual(['red']);
    const undated = [valueSet('v2', '2.0', ['blue']), valueSet('none', undefined, ['red'])];
    expect(await codesOf(undated, [['code:in', VS]])).toEqual(['red']);
  });

  it('reads every page of url matches, and only versions the caller may read', async () => {
    const stored = [
      valueSet('v1', '1.0', ['red']),
      valueSet('v2', '2.0', ['blue']),
      valueSet('v3', '3.0', ['green']),
    ];
    expect(await codesOf(stored, [['code:in', VS]], { pageSize: 1 })).toEqual(['green']);
    const access: TerminologyAccess = { canRead: (r) => r.id !== 'v3' };
    expect(await codesOf(stored, [['code:in', VS]], { access })).toEqual(['blue']);
    const error = await rejection(codesOf(stored, [['code:in', `${VS}|3.0`]], { access }));
    expect([error.status, error.code]).toEqual([400, 'invalid']);
  });
});

describe('terminologyLoader (the terminology operations)', () => {
  it('reads what a posted ValueSet needs (a versioned import, a whole code system), and CodeSystems by id', async () => {
    const colors: CodeSystem = {
      resourceType: 'CodeSystem',
      id: 'colors',
      url: CS,
      status: 'active',
      content: 'complete',
      concept: [{ code: 'red' }, { code: 'blue' }],
    };
    const { engine, store } = memoryServer([
      valueSet('v1', '1.0', ['red']),
      valueSet('v2', '2.0', ['blue']),
      colors,
    ]);
    const source = engineTerminologySource(engine, store);
    const loader = terminologyLoader(source);
    await loader.needsOf({
      resourceType: 'ValueSet',
      status: 'active',
      compose: { include: [{ valueSet: [`${VS}|1.0`] }, { system: CS }] },
    });
    expect([...loader.stored.valueSets.keys()]).toEqual([`${VS}|1.0`]);
    expect(loader.stored.valueSets.get(`${VS}|1.0`)?.id).toBe('v1');
    expect([...loader.stored.codeSystems.keys()]).toEqual([CS]);
    expect(loader.lookup().codeSystem(CS)?.codes).toEqual(['red', 'blue']);
    expect((await source.codeSystemById!('colors'))?.url).toBe(CS);
    expect(await source.codeSystemById!('v1')).toBeUndefined();
  });
});
