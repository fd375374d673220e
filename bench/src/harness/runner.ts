import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SyntheaData } from '../data/synthea.js';
import { Fixtures } from './fixtures.js';
import { MemoryMeter } from './memory.js';
import { scoreFigure } from './report.js';
import { nowMs } from './timing.js';
import type { Workload, WorkloadContext, WorkloadResult } from './types.js';

/** What the runner needs besides the workloads. */
export interface RunnerOptions {
  /** Temp directory of the whole run; each workload gets a fresh folder in it. */
  runDir: string;
  quick: boolean;
  /** Keep the workload folders instead of removing them. */
  keep: boolean;
  /** Loads Synthea once (untimed) on first need; undefined when the data is missing. */
  synthea: () => SyntheaData | undefined;
  /** Why Synthea is unavailable, for skipped workloads. */
  syntheaMissing: string;
  /** Called after each workload (for printing progress). */
  onResult?: (result: WorkloadResult) => void;
}

const log = (name: string) => (message: string) => process.stderr.write(`  [${name}] ${message}\n`);

/**
 * Run workloads one after another, each in a fresh temp folder, measuring its
 * wall time and memory; a workload that throws is reported as `failed` and the
 * others still run.
 *
 * @example
 * ```ts
 * const results = await runWorkloads(workloads, { runDir, quick: false, keep: false, synthea, syntheaMissing });
 * ```
 */
export async function runWorkloads(
  workloads: readonly Workload[],
  options: RunnerOptions,
): Promise<WorkloadResult[]> {
  const fixtures = new Fixtures(join(options.runDir, 'fixtures'));
  const results: WorkloadResult[] = [];
  for (const workload of workloads) {
    const result = await runOne(workload, options, fixtures);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runOne(
  workload: Workload,
  options: RunnerOptions,
  fixtures: Fixtures,
): Promise<WorkloadResult> {
  const base = { name: workload.name, issue: workload.issue, description: workload.description };
  let synthea: SyntheaData | undefined;
  if (workload.needs?.includes('synthea')) {
    synthea = options.synthea(); // loaded before the meter starts: never part of a workload's figures
    if (!synthea)
      return { ...base, status: 'skipped', reason: options.syntheaMissing, durationMs: 0, figures: [] };
  }
  const dir = join(options.runDir, workload.name.replace(/[^\w.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const ctx: WorkloadContext = {
    dir,
    quick: options.quick,
    fixtures,
    log: log(workload.name),
    get synthea(): SyntheaData {
      if (!synthea)
        throw new Error(`Workload ${workload.name} uses Synthea data: add 'synthea' to its needs`);
      return synthea;
    },
  };
  process.stderr.write(`\n> ${workload.name} (${workload.issue}): ${workload.description}\n`);
  const meter = MemoryMeter.start();
  const start = nowMs();
  try {
    const figures = await workload.run(ctx);
    const durationMs = nowMs() - start;
    return { ...base, status: 'ok', durationMs, memory: meter.stop(), figures: figures.map(scoreFigure) };
  } catch (error) {
    const durationMs = nowMs() - start;
    const memory = meter.stop();
    process.stderr.write(`  [${workload.name}] FAILED: ${error instanceof Error ? error.stack : error}\n`);
    const reason = error instanceof Error ? error.message : String(error);
    return { ...base, status: 'failed', reason, durationMs, memory, figures: [] };
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}
