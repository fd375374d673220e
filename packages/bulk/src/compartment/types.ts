/**
 * The patient compartment index contract: which resources are in which
 * patient's compartment (CompartmentDefinition/patient), kept by a projector
 * from the change log. Engine-independent: the LMDB implementation is in
 * `lmdb-compartment-index.ts`; another backend implements the same interface.
 */
import type { Projector } from '@fhirstream/core';

/** A care-date range in ms since the epoch (inclusive; open ends are ±Infinity). */
export type CareDate = readonly [low: number, high: number];

/** One resource in a patient's compartment, with what `$everything` needs to filter it without parsing it. */
export interface CompartmentMember {
  resourceType: string;
  id: string;
  /** `meta.lastUpdated` of the indexed version. */
  lastUpdated: string;
  /** The change-log seq of the indexed version. */
  seq: number;
  /** The clinical ("care") date range of the resource, when it has one (for `start`/`end`). */
  careDate?: CareDate;
  /** Literal references to other resources (`Type/id`, Patients excluded), for the referenced non-patient resources. */
  references: readonly string[];
}

/** Options of {@link PatientCompartmentIndex.membersOf}. */
export interface MembersOptions {
  /** Only these resource types. */
  types?: readonly string[];
  /** Only versions with `lastUpdated >= since` (a FHIR instant). */
  since?: string;
}

/**
 * The patient compartment index.
 *
 * @example
 * ```ts
 * const index = lmdbCompartmentIndex(backend);
 * await runtime.register(index.projector);
 * await runtime.waitFor(seq, { projectors: [index.projector.name] });
 * const members = await index.membersOf('p1', { types: ['Observation'] });
 * await index.compartmentsOf('Observation', 'o1'); // ['p1']
 * ```
 */
export interface PatientCompartmentIndex {
  /** The projector that keeps the index; register it in the projector runtime. */
  readonly projector: Projector;
  /** The members of a patient's compartment (the Patient itself included), ordered by type then id. */
  membersOf(patientId: string, options?: MembersOptions): Promise<CompartmentMember[]>;
  /** The ids of the patients whose compartment contains the resource (sorted; empty when none). */
  compartmentsOf(resourceType: string, id: string): Promise<string[]>;
  /** Ids of patients that exist (have a current Patient resource), sorted, after `after`, at most `limit`. */
  patients(options?: { after?: string; limit?: number }): Promise<string[]>;
}
