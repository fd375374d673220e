import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { WorkloadResult } from './types.js';

/** The machine a run measured, saved with the results. */
export interface Machine {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemory: number;
}

/** Describe this machine. */
export function thisMachine(): Machine {
  const list = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    totalMemory: totalmem(),
  };
}

/** Everything one run of `pnpm bench` measured (`bench/results/latest.json`). */
export interface RunResults {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  options: { only: string[]; quick: boolean };
  data: { synthea?: { dir: string; bundles: number; resources: number; jsonBytes: number; loadMs: number } };
  workloads: WorkloadResult[];
}

/**
 * Write the results as pretty JSON (creating the folder).
 *
 * @example
 * ```ts
 * writeResults('bench/results/latest.json', results);
 * ```
 */
export function writeResults(path: string, results: RunResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
