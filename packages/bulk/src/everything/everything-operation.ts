/**
 * `Patient/[id]/$everything` and `Patient/$everything` (R4
 * OperationDefinition/Patient-everything) on the patient compartment index.
 */
import {
  FhirError,
  type FhirResponse,
  isResourceType,
  type OperationHandler,
  type RequestContext,
  representationOf,
  type SearchParams,
} from '@fhirstream/core';
import { type MembershipOptions, membershipExtractor } from '../compartment/membership.js';
import type { PatientCompartmentIndex } from '../compartment/types.js';
import {
  dateParam,
  intParam,
  listParam,
  operationParams,
  rejectUnknown,
  singleParam,
  urlWithParams,
} from '../operation/parameters.js';
import type { OperationServices } from '../operation/services.js';
import { type BundleLink, rawSearchset, searchsetBundle } from './bundle-writer.js';
import {
  type CollectDeps,
  compartmentEntries,
  type EverythingEntry,
  type EverythingFilter,
  referencedResources,
} from './collect.js';

/** Options of {@link everythingOperation}. */
export interface EverythingOperationOptions {
  /** The compartment index; its projector must be registered in the server's runtime. */
  compartments: PatientCompartmentIndex;
  /** The membership options the index was built with (registry, care dates, local base URLs). */
  membership?: MembershipOptions;
  /**
   * Types of referenced resources in no patient's compartment to add
   * (Medication, Practitioner, Organization, Location, …). Default: any type.
   */
  referencedTypes?: readonly string[];
  /** Page size without `_count` (default 1,000). */
  defaultCount?: number;
  /** Largest `_count` (default 10,000). */
  maxCount?: number;
  /** Longest wait for the index to catch up with the caller's writes (default 10,000 ms). */
  consistencyTimeoutMs?: number;
}

const KNOWN = new Set([
  'start',
  'end',
  '_since',
  '_type',
  '_count',
  '_cursor',
  '_elements',
  '_summary',
  '_format',
  '_pretty',
]);

/** Sort/cursor key of an entry: [group (0 compartment, 1 referenced), patient, rank (0 own Patient), type, id]. */
type EntryKey = [number, string, number, string, string];

const compareKeys = (a: EntryKey, b: EntryKey): number => {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
};

/**
 * The `$everything` operation handler, for `createFhirServer({ operations })`.
 *
 * @example
 * ```ts
 * const compartments = lmdbCompartmentIndex(backend);
 * await runtime.register(compartments.projector);
 * const server = await createFhirServer({ store, runtime, operations: [everythingOperation({ compartments })] });
 * await server.handle(requestContext(), { method: 'GET', path: 'Patient/p1/$everything', params: [], baseUrl });
 * ```
 */
export function everythingOperation(options: EverythingOperationOptions): OperationHandler {
  const facts = membershipExtractor(options.membership);
  const referencedTypes = options.referencedTypes ? new Set(options.referencedTypes) : undefined;
  const defaultCount = options.defaultCount ?? 1000;
  const maxCount = options.maxCount ?? 10_000;

  return {
    name: 'everything',
    scope: { type: true, instance: true, types: ['Patient'] },
    async handle(ctx, request, services) {
      if (request.method !== 'GET' && request.method !== 'POST')
        throw new FhirError('method-not-allowed', `${request.method} is not allowed on $everything`);
      const params = operationParams(
        request.operationParams,
        request.method === 'POST' ? request.body : undefined,
      );
      rejectUnknown(params, KNOWN, request.headers?.preferHandling);
      const filter = filterOf(params);
      const count = intParam(params, '_count', maxCount) ?? defaultCount;
      const cursor = decodeCursor(singleParam(params, '_cursor'));
      const rep = representationOf(params);
      const subsetting = rep.elements !== undefined || (rep.summary !== undefined && rep.summary !== 'false');

      await caughtUp(ctx, services, options.compartments.projector.name, options.consistencyTimeoutMs);
      const deps: CollectDeps = {
        store: services.store,
        compartments: options.compartments,
        facts,
        canRead: (c, r) => services.canRead(c, r),
        referencedTypes,
      };

      let page: Array<{ key: EntryKey; entry: EverythingEntry }>;
      let total: number | undefined;
      let more: boolean;
      if (request.id) {
        const patient = await services.store.read('Patient', request.id);
        if (!patient || !(await services.canRead(ctx, patient)))
          throw new FhirError('not-found', `Patient/${request.id} is not known`);
        if (patient.deleted) throw new FhirError('gone', `Patient/${request.id} was deleted`);
        const all = await everythingOf(deps, ctx, request.id, filter, false);
        total = all.length;
        const after = cursor ? all.filter((e) => compareKeys(e.key, cursor) > 0) : all;
        page = after.slice(0, count);
        more = after.length > count;
      } else {
        ({ page, more } = await allPatientsPage(deps, ctx, filter, cursor, count));
      }

      const base = `${request.baseUrl}/Patient${request.id ? `/${request.id}` : ''}/$everything`;
      const selfParams = params.filter(([n]) => n !== '_format' && n !== '_pretty');
      const links: BundleLink[] = [{ relation: 'self', url: urlWithParams(base, selfParams) }];
      const last = page[page.length - 1];
      if (more && last) {
        const next: SearchParams = [
          ...selfParams.filter(([n]) => n !== '_cursor'),
          ['_cursor', encodeCursor(last.key)],
        ];
        links.push({ relation: 'next', url: urlWithParams(base, next) });
      }
      const entries = page.map((p) => p.entry);
      const response: FhirResponse = subsetting
        ? { status: 200, resource: searchsetBundle(request.baseUrl, entries, links, total, rep) }
        : {
            status: 200,
            raw: {
              contentType: 'application/fhir+json; charset=utf-8',
              body: rawSearchset(request.baseUrl, entries, links, total),
            },
          };
      return response;
    },
  };
}

async function everythingOf(
  deps: CollectDeps,
  ctx: RequestContext,
  patientId: string,
  filter: EverythingFilter,
  owned: boolean,
): Promise<Array<{ key: EntryKey; entry: EverythingEntry }>> {
  const { entries, references, memberKeys } = await compartmentEntries(deps, ctx, patientId, filter, owned);
  const refs = await referencedResources(deps, ctx, references, memberKeys, filter);
  return [
    ...entries.map((entry) => ({ key: keyOf(0, patientId, entry, patientId), entry })),
    ...refs.map((entry) => ({ key: keyOf(1, '', entry, patientId), entry })),
  ];
}

const keyOf = (group: number, pid: string, e: EverythingEntry, patientId: string): EntryKey => [
  group,
  pid,
  e.stored.resourceType === 'Patient' && e.stored.id === patientId && group === 0 ? 0 : 1,
  e.stored.resourceType,
  e.stored.id,
];

/** One page of `Patient/$everything`: patients in id order, then the referenced resources of all of them. */
async function allPatientsPage(
  deps: CollectDeps,
  ctx: RequestContext,
  filter: EverythingFilter,
  cursor: EntryKey | undefined,
  count: number,
): Promise<{ page: Array<{ key: EntryKey; entry: EverythingEntry }>; more: boolean }> {
  const page: Array<{ key: EntryKey; entry: EverythingEntry }> = [];
  const push = (items: Array<{ key: EntryKey; entry: EverythingEntry }>): boolean => {
    for (const item of items) {
      if (cursor && compareKeys(item.key, cursor) <= 0) continue;
      if (page.length === count) return true;
      page.push(item);
    }
    return false;
  };
  const patientIds: string[] = [];
  let after: string | undefined;
  for (;;) {
    const batch = await deps.compartments.patients({ ...(after !== undefined ? { after } : {}), limit: 500 });
    if (batch.length === 0) break;
    patientIds.push(...batch);
    after = batch[batch.length - 1];
  }
  if (!cursor || cursor[0] === 0) {
    for (const pid of patientIds) {
      if (cursor && pid < cursor[1]) continue;
      const patient = await deps.store.read('Patient', pid);
      if (!patient || patient.deleted || !(await deps.canRead(ctx, patient))) continue;
      const { entries } = await compartmentEntries(deps, ctx, pid, filter, true);
      if (push(entries.map((entry) => ({ key: keyOf(0, pid, entry, pid), entry }))))
        return { page, more: true };
    }
  }
  // The referenced resources in no compartment, once for all patients (from the index, without reading members).
  const references = new Set<string>();
  for (const pid of patientIds) {
    const patient = await deps.store.read('Patient', pid);
    if (!patient || patient.deleted || !(await deps.canRead(ctx, patient))) continue;
    for (const m of await deps.compartments.membersOf(pid)) {
      const d = m.careDate;
      if (d && filter.window && (d[0] > filter.window[1] || d[1] < filter.window[0])) continue;
      for (const r of m.references) references.add(r);
    }
  }
  const refs = await referencedResources(deps, ctx, references, new Set(), filter);
  const more = push(refs.map((entry) => ({ key: keyOf(1, '', entry, ''), entry })));
  return { page, more };
}

function filterOf(params: SearchParams): EverythingFilter {
  const start = dateParam(params, 'start');
  const end = dateParam(params, 'end');
  const since = dateParam(params, '_since');
  const types = listParam(params, '_type');
  for (const t of types ?? []) {
    if (!isResourceType(t))
      throw new FhirError('invalid', `Unknown resource type in _type: ${t}`, { expression: ['_type'] });
  }
  const filter: EverythingFilter = {};
  if (start || end)
    filter.window = [start?.low ?? Number.NEGATIVE_INFINITY, end?.high ?? Number.POSITIVE_INFINITY];
  if (since) filter.since = new Date(since.low).toISOString();
  if (types) filter.types = new Set(types);
  return filter;
}

/** Wait until the compartment projector has applied the caller's writes (or the head), unless `eventual`. */
async function caughtUp(
  ctx: RequestContext,
  services: OperationServices,
  projector: string,
  timeoutMs = 10_000,
): Promise<void> {
  if (ctx.consistency === 'eventual') return;
  const seq = typeof ctx.minSeq === 'number' ? ctx.minSeq : await services.store.headSeq();
  if (seq > 0) await services.runtime.waitFor(seq, { timeoutMs, projectors: [projector] });
}

function encodeCursor(key: EntryKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(value: string | undefined): EntryKey | undefined {
  if (value === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 5) return key as EntryKey;
  } catch {}
  throw new FhirError('invalid', `Invalid _cursor: ${value}`, { expression: ['_cursor'] });
}
