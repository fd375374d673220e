#!/usr/bin/env node
/**
 * The `fhirstream` command line.
 *
 * @example
 * ```sh
 * fhirstream import ./synthea --data-dir ./.data
 * fhirstream export --type Patient,Observation --since 2024-01-01 ./export --data-dir ./.data
 * ```
 */
import { Command } from 'commander';
import { exportData, formatExportSummary } from './commands/export-command.js';
import { formatImportSummary, importData } from './commands/import-command.js';

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean),
];

/** Run the CLI with `argv` (as `process.argv`). */
export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('fhirstream')
    .description('Import and export FHIR data in an embedded Fhirstream store (LMDB)')
    .showHelpAfterError();

  program
    .command('import')
    .description('Import a directory, an ndjson file or a Bundle (.json, .ndjson, optionally .gz)')
    .argument('<source>', 'directory, file.ndjson or bundle.json')
    .option('--data-dir <dir>', 'the store directory', './.data')
    .option('--chunk-size <n>', 'resources per commit for ndjson', (v) => Number.parseInt(v, 10), 500)
    .option(
      '--direct',
      'load Bundles straight into the store (no search engine; references resolved by the loader)',
    )
    .option('--quiet', 'no progress bar')
    .action(
      async (
        source: string,
        opts: { dataDir: string; chunkSize: number; direct?: boolean; quiet?: boolean },
      ) => {
        const summary = await importData({
          source,
          dataDir: opts.dataDir,
          chunkSize: opts.chunkSize,
          direct: !!opts.direct,
          quiet: !!opts.quiet,
        });
        console.log(formatImportSummary(summary));
        if (summary.errors.length > 0) process.exitCode = 2;
      },
    );

  program
    .command('export')
    .description('Export the store to ndjson files and a manifest.json')
    .argument('<dir>', 'output directory')
    .option('--type <types>', 'resource types (comma-separated, or repeat the option)', collect)
    .option('--since <instant>', 'only resources changed since (deletes are listed)')
    .option('--data-dir <dir>', 'the store directory', './.data')
    .option('--max-lines <n>', 'lines per ndjson file', (v) => Number.parseInt(v, 10), 1_000_000)
    .option('--quiet', 'no progress bar')
    .action(
      async (
        dir: string,
        opts: { type?: string[]; since?: string; dataDir: string; maxLines: number; quiet?: boolean },
      ) => {
        const types = opts.type;
        const summary = await exportData({
          dataDir: opts.dataDir,
          outDir: dir,
          ...(types ? { types } : {}),
          ...(opts.since ? { since: opts.since } : {}),
          maxLinesPerFile: opts.maxLines,
          quiet: !!opts.quiet,
        });
        console.log(formatExportSummary(summary));
      },
    );

  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  console.error(`fhirstream: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
