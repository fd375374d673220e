/**
 * @fhirstream/bulk — patient compartments as a projector, `Patient/$everything`,
 * Bulk Data export (`$export`, v2) and `$import`, as operation handlers for
 * `createFhirServer({ operations })`. The LMDB compartment index is in
 * `@fhirstream/bulk/lmdb`.
 *
 * @packageDocumentation
 */
export {
  CARE_DATE_OVERRIDES,
  DEFAULT_CARE_DATE_PARAMS,
  type MembershipFacts,
  type MembershipOptions,
  membershipExtractor,
  referencesOf,
} from './compartment/membership.js';
export type {
  CareDate,
  CompartmentMember,
  MembersOptions,
  PatientCompartmentIndex,
} from './compartment/types.js';
export { type EverythingOperationOptions, everythingOperation } from './everything/everything-operation.js';
export { type BulkExport, type BulkExportOptions, bulkExport } from './export/bulk-export.js';
export { type ExportParams, exportParams, OUTPUT_FORMATS } from './export/export-request.js';
export { type ExportJob, type ExportRunDeps, runExport } from './export/export-runner.js';
export { type BulkImport, type BulkImportOptions, bulkImport } from './import/bulk-import.js';
export { type ImportInput, importInputs } from './import/import-manifest.js';
export {
  commitResources,
  type ImportInputState,
  type ImportJob,
  type ImportRunDeps,
  runImport,
} from './import/import-runner.js';
export { type JobRecord, JobStore } from './jobs/job-store.js';
export { type NdjsonFile, NdjsonWriter } from './jobs/ndjson-files.js';
export {
  type DirectBundleLoader,
  type DirectLoadResult,
  directBundleLoader,
} from './load/direct-bundle-loader.js';
