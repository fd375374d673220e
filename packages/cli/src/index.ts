/**
 * @fhirstream/cli — the `fhirstream` command line, and its commands as functions.
 *
 * @packageDocumentation
 */

export {
  type ExportOptions,
  type ExportSummary,
  exportData,
  formatExportSummary,
} from './commands/export-command.js';
export {
  formatImportSummary,
  type ImportOptions,
  type ImportSummary,
  importData,
} from './commands/import-command.js';
export { type Embedded, openEmbedded } from './embedded.js';
export { type Progress, progressBar, rate } from './progress.js';
