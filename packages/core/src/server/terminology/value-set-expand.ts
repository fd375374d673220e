import { randomUUID } from 'node:crypto';
import type { ValueSet, ValueSetExpansionContains, ValueSetExpansionParameter } from 'fhir/r4';
import { expansionTextFilter } from '../../terminology/expansion-details.js';
import type { OperationHandler } from '../types.js';
import { openTerminologyOperation, type TargetValueSet } from './caller-terminology.js';

/** Inputs whose meaning this server does not implement: refused rather than silently ignored. */
const UNSUPPORTED = [
  'context',
  'contextDirection',
  'date',
  'exclude-system',
  'system-version',
  'check-system-version',
  'force-system-version',
];

/**
 * `ValueSet/$expand` (type level with `url` [+ `valueSetVersion`] or a
 * `valueSet` resource in a Parameters body; instance level
 * `ValueSet/[id]/$expand`): the ValueSet with an `expansion` — every code with
 * its system, the code system's version when known and its display — built
 * with the search's expander (official definitions and the stored resources
 * the caller may read). `filter` keeps the codes each of whose words starts
 * a word of the display or the code (ignoring case); `offset` / `count` page
 * the flat expansion (`total` counts every code that passed the filter);
 * `activeOnly=true` drops inactive concepts; `includeDefinition=true` keeps
 * a stored ValueSet's `compose`. `displayLanguage`, designations and the
 * UI-oriented flags are accepted and ignored (one language, flat expansions).
 * Errors: 404 for an unknown instance, 400 `not-found` for an unknown `url`,
 * 400 `too-costly` beyond the expansion cap, 400 `not-supported` for what
 * cannot be expanded.
 *
 * @example
 * ```ts
 * // GET [base]/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender&filter=fem
 * // → 200 ValueSet { expansion: { total: 1, contains: [{ system: '…/administrative-gender', code: 'female', display: 'Female' }] } }
 * ```
 */
export const valueSetExpandOperation: OperationHandler = {
  name: 'expand',
  definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand',
  scope: { type: true, instance: true, types: ['ValueSet'] },
  async handle(ctx, request, services) {
    const { input, terminology } = openTerminologyOperation(ctx, request, services, '$expand');
    input.rejectUnsupported(UNSUPPORTED);
    const filter = input.string('filter', true);
    const offset = input.integer('offset');
    const count = input.integer('count');
    const activeOnly = input.boolean('activeOnly');
    const includeDefinition = input.boolean('includeDefinition');
    const target = await terminology.valueSet(request, input);
    let entries = await terminology.expand(target);
    if (activeOnly) entries = entries.filter((e) => !e.inactive);
    if (filter !== undefined) entries = entries.filter(expansionTextFilter(filter));
    const start = offset ?? 0;
    const page = entries.slice(start, count === undefined ? undefined : start + count);
    const parameter: ValueSetExpansionParameter[] = [
      ...(filter !== undefined ? [{ name: 'filter', valueString: filter }] : []),
      ...(offset !== undefined ? [{ name: 'offset', valueInteger: offset }] : []),
      ...(count !== undefined ? [{ name: 'count', valueInteger: count }] : []),
      ...(activeOnly !== undefined ? [{ name: 'activeOnly', valueBoolean: activeOnly }] : []),
      ...[...new Set(entries.flatMap((e) => (e.version ? [`${e.system}|${e.version}`] : [])))].map(
        (valueUri) => ({ name: 'version', valueUri }),
      ),
    ];
    const contains = page.map(
      (e): ValueSetExpansionContains => ({
        system: e.system,
        ...(e.version ? { version: e.version } : {}),
        code: e.code,
        ...(e.display ? { display: e.display } : {}),
        ...(e.inactive ? { inactive: true } : {}),
      }),
    );
    const resource: ValueSet = {
      ...header(target, includeDefinition === true),
      expansion: {
        identifier: `urn:uuid:${randomUUID()}`,
        timestamp: new Date().toISOString(),
        total: entries.length,
        ...(offset !== undefined || count !== undefined ? { offset: start } : {}),
        ...(parameter.length > 0 ? { parameter } : {}),
        ...(contains.length > 0 ? { contains } : {}),
      },
    };
    return { status: 200, resource };
  },
};

/** The ValueSet around the expansion: the stored / posted one without its old expansion (and compose), or the official one's header. */
function header(target: TargetValueSet, includeDefinition: boolean): ValueSet {
  if (target.resource) {
    const { expansion: _expansion, compose, ...rest } = target.resource;
    return { ...rest, ...(includeDefinition && compose ? { compose } : {}) };
  }
  return {
    resourceType: 'ValueSet',
    ...(target.url ? { url: target.url } : {}),
    ...(target.version ? { version: target.version } : {}),
    ...(target.official?.name ? { name: target.official.name } : {}),
    ...(target.official?.title ? { title: target.official.title } : {}),
    status: target.official?.status ?? 'active',
  };
}
