/**
 * `pnpm bench`: run the workloads, print each figure next to its baseline
 * measured in the same run, and save everything to bench/results/latest.json.
 * See docs/performance.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedSyntheaDir, findSyntheaDir, loadSynthea, type SyntheaData } from './data/synthea.js';
import { parseBenchArgs, QUICK_BUNDLES, USAGE } from './harness/cli.js';
import { formatDuration, formatMb, formatNumber } from './harness/format.js';
import { memoryTable, resultsTable } from './harness/report.js';
import { type RunResults, thisMachine, writeResults } from './harness/results-file.js';
import { runWorkloads } from './harness/runner.js';
import { workloads } from './workloads/index.js';

const out = (text: string) => process.stdout.write(text);

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    out(USAGE);
    return 0;
  }
  if (options.list) {
    for (const w of workloads) out(`${w.name.padEnd(24)} ${w.issue.padEnd(6)} ${w.description}\n`);
    return 0;
  }
  const selected = options.only.length
    ? workloads.filter((w) => options.only.some((s) => w.name.includes(s)))
    : workloads;
  if (selected.length === 0) {
    process.stderr.write(`No workload matches --only ${options.only.join(',')} (see --list)\n`);
    return 2;
  }

  const startedAt = new Date().toISOString();
  const machine = thisMachine();
  out(
    `Fhirstream bench — node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}, ` +
      `${formatMb(machine.totalMemory)} RAM${options.quick ? ', --quick' : ''}\n`,
  );

  const dataDir = findSyntheaDir();
  const syntheaMissing = `Synthea data not found at ${expectedSyntheaDir()} (set FHIRSTREAM_BENCH_DATA to its folder)`;
  if (!dataDir) out(`\n${syntheaMissing}: skipping the workloads that need it.\n`);
  let synthea: SyntheaData | undefined;
  const loadData = () => {
    if (!dataDir) return undefined;
    if (!synthea) {
      process.stderr.write(
        `\nLoading Synthea from ${dataDir}${options.quick ? ` (first ${QUICK_BUNDLES} bundles)` : ''}…\n`,
      );
      synthea = loadSynthea(dataDir, options.quick ? { limit: QUICK_BUNDLES } : {});
      out(
        `Data: ${synthea.bundles.length} bundles, ${formatNumber(synthea.resourceCount)} resources, ` +
          `${formatMb(synthea.jsonBytes)} of resource JSON (loaded in ${formatDuration(synthea.loadMs)}, untimed)\n`,
      );
    }
    return synthea;
  };

  const runDir = mkdtempSync(join(tmpdir(), 'fhirstream-bench-'));
  if (options.keep) out(`Temp directories kept in ${runDir}\n`);
  let results: Awaited<ReturnType<typeof runWorkloads>>;
  try {
    results = await runWorkloads(selected, {
      runDir,
      quick: options.quick,
      keep: options.keep,
      synthea: loadData,
      syntheaMissing,
    });
  } finally {
    if (!options.keep) rmSync(runDir, { recursive: true, force: true });
  }

  out(`\n${resultsTable(results)}\n${memoryTable(results)}`);
  const loaded = synthea as SyntheaData | undefined;
  const file = resolve(dirname(fileURLToPath(import.meta.url)), '../results/latest.json');
  const saved: RunResults = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    options: { only: options.only, quick: options.quick },
    data: loaded
      ? {
          synthea: {
            dir: loaded.dir,
            bundles: loaded.bundles.length,
            resources: loaded.resourceCount,
            jsonBytes: loaded.jsonBytes,
            loadMs: loaded.loadMs,
          },
        }
      : {},
    workloads: results,
  };
  writeResults(file, saved);
  out(`\nResults written to ${file}\n`);

  const failed = results.filter((r) => r.status === 'failed');
  const missed = results.flatMap((r) => r.figures.filter((f) => f.pass === false));
  if (failed.length) return 1;
  if (options.strict && missed.length) return 1;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
