/**
 * @fhirstream/bulk/lmdb — the patient compartment index on the embedded LMDB
 * store (kept apart so that users of other backends do not load LMDB).
 *
 * @packageDocumentation
 */
export {
  type LmdbCompartmentIndex,
  type LmdbCompartmentIndexOptions,
  lmdbCompartmentIndex,
} from './compartment/lmdb-compartment-index.js';
