/**
 * Collecting what `Patient/$everything` returns for one patient: the
 * compartment members that pass the filters, read at their current version,
 * plus the resources they reference that are in no patient's compartment.
 */
import type { RequestContext, ResourceStore, StoredResource } from '@fhirstream/core';
import type { MembershipFacts } from '../compartment/membership.js';
import type { CareDate, CompartmentMember, PatientCompartmentIndex } from '../compartment/types.js';

/** The filters of one `$everything` request. */
export interface EverythingFilter {
  /** Care-date window (inclusive ms); resources without a care date always pass. */
  window?: CareDate;
  /** `_since` as an ISO instant: only versions with `lastUpdated >= since`. */
  since?: string;
  /** `_type`: only these types in the answer. */
  types?: ReadonlySet<string>;
}

/** What collection needs. */
export interface CollectDeps {
  store: ResourceStore;
  compartments: PatientCompartmentIndex;
  facts: (resource: object) => MembershipFacts;
  canRead: (ctx: RequestContext, resource: StoredResource) => Promise<boolean>;
  /** Types of referenced resources that may be added; undefined = any type. */
  referencedTypes: ReadonlySet<string> | undefined;
}

/** One resource of the answer. */
export interface EverythingEntry {
  stored: StoredResource;
  mode: 'match' | 'include';
}

const overlaps = (date: CareDate | undefined, window: CareDate | undefined): boolean =>
  !date || !window || (date[0] <= window[1] && date[1] >= window[0]);

/**
 * The compartment members of `patientId` that pass `filter`, ordered (the
 * Patient first, then by type and id), and the references of the members in
 * the care-date window (for {@link referencedResources}).
 *
 * `owned` (for all-patients `$everything`) keeps a member only under the
 * first existing patient of its compartments, so that it appears once.
 */
export async function compartmentEntries(
  deps: CollectDeps,
  ctx: RequestContext,
  patientId: string,
  filter: EverythingFilter,
  owned = false,
): Promise<{ entries: EverythingEntry[]; references: Set<string>; memberKeys: Set<string> }> {
  const members = await deps.compartments.membersOf(patientId);
  const entries: EverythingEntry[] = [];
  const references = new Set<string>();
  const memberKeys = new Set<string>();
  let patient: EverythingEntry | undefined;
  for (const m of members) {
    memberKeys.add(`${m.resourceType}/${m.id}`);
    const wanted = !filter.types || filter.types.has(m.resourceType);
    if (!wanted) {
      // Not answered, but its references may be.
      if (overlaps(m.careDate, filter.window)) for (const r of m.references) references.add(r);
      continue;
    }
    const checked = await current(deps, patientId, m);
    if (!checked) continue;
    const { stored, careDate, refs } = checked;
    if (m.resourceType !== 'Patient' && !overlaps(careDate, filter.window)) continue;
    if (!(await deps.canRead(ctx, stored))) continue;
    for (const r of refs) references.add(r);
    if (filter.since !== undefined && stored.lastUpdated < filter.since) continue;
    if (owned && !(await ownedBy(deps, m, patientId))) continue;
    const entry: EverythingEntry = { stored, mode: 'match' };
    if (m.resourceType === 'Patient' && m.id === patientId) patient = entry;
    else entries.push(entry);
  }
  if (patient) entries.unshift(patient);
  return { entries, references, memberKeys };
}

/**
 * The referenced resources (`Type/id`, sorted) that exist, are in no patient's
 * compartment, are of an allowed type, pass `_type` and `_since`, and are visible.
 */
export async function referencedResources(
  deps: CollectDeps,
  ctx: RequestContext,
  references: Iterable<string>,
  exclude: ReadonlySet<string>,
  filter: EverythingFilter,
): Promise<EverythingEntry[]> {
  const out: EverythingEntry[] = [];
  for (const ref of [...references].sort()) {
    if (exclude.has(ref)) continue;
    const slash = ref.indexOf('/');
    const type = ref.slice(0, slash);
    const id = ref.slice(slash + 1);
    if (deps.referencedTypes && !deps.referencedTypes.has(type)) continue;
    if (filter.types && !filter.types.has(type)) continue;
    const stored = await deps.store.read(type, id);
    if (!stored || stored.deleted) continue;
    if (filter.since !== undefined && stored.lastUpdated < filter.since) continue;
    if ((await deps.compartments.compartmentsOf(type, id)).length > 0) continue;
    if (!(await deps.canRead(ctx, stored))) continue;
    out.push({ stored, mode: 'include' });
  }
  return out;
}

/** The current version of a member, re-checked when it is newer than the indexed one. */
async function current(
  deps: CollectDeps,
  patientId: string,
  m: CompartmentMember,
): Promise<{ stored: StoredResource; careDate: CareDate | undefined; refs: readonly string[] } | undefined> {
  const stored = await deps.store.read(m.resourceType, m.id);
  if (!stored || stored.deleted) return undefined;
  if (stored.seq === m.seq) return { stored, careDate: m.careDate, refs: m.references };
  // Written after the index saw it (the projector lags): judge the version we serve.
  const facts = deps.facts(stored.resource!);
  if (!facts.patients.includes(patientId)) return undefined;
  return { stored, careDate: facts.careDate, refs: facts.references };
}

async function ownedBy(deps: CollectDeps, m: CompartmentMember, patientId: string): Promise<boolean> {
  const owners = await deps.compartments.compartmentsOf(m.resourceType, m.id);
  if (owners.length <= 1) return true;
  for (const owner of owners) {
    if (owner === patientId) return true;
    const p = await deps.store.read('Patient', owner);
    if (p && !p.deleted) return false;
  }
  return true;
}
