import type { SyntheaData } from '../data/synthea.js';
import type { Fixtures } from './fixtures.js';

/** Data sets a workload can ask for; the runner loads them (untimed) before the workload starts. */
export type DataSet = 'synthea';

/**
 * One measured number of a workload, printed next to the baseline measured in
 * the same run.
 *
 * @example
 * ```ts
 * const f: Figure = {
 *   name: 'commit, 1 bundle per commit',
 *   unit: 'resources/s',
 *   value: 41_000,
 *   baseline: { name: 'raw lmdb', value: 80_000 },
 *   target: { minRatio: 0.5 },
 * };
 * ```
 */
export interface Figure {
  /** What was measured, e.g. `commit, 1 bundle per commit`. */
  name: string;
  /** Unit of `value` and of the baseline, e.g. `resources/s`, `MB/s`, `ms`. */
  unit: string;
  value: number;
  /** `higher` (default) for throughputs, `lower` for latencies and sizes. */
  better?: 'higher' | 'lower';
  /** The same work done with the raw building block (node:http, lmdb, JSON), in the same run. */
  baseline?: { name: string; value: number };
  /**
   * Pass/fail criteria (all given ones must hold). `minRatio` applies to the
   * ratio (see {@link FigureResult.ratio}); `min`/`max` apply to `value`.
   */
  target?: { minRatio?: number; min?: number; max?: number };
  /** Free-form details kept in the JSON results (iterations, counts…). */
  details?: Record<string, number | string>;
}

/** A figure with its ratio and verdict, as printed and saved. */
export interface FigureResult extends Figure {
  /**
   * How the workload does relative to its baseline, always "higher is better":
   * `value / baseline` for throughputs, `baseline / value` for lower-is-better
   * figures. 1 means as fast as the raw building block.
   */
  ratio?: number;
  /** undefined when the figure has no target. */
  pass?: boolean;
}

/** What a workload is given. */
export interface WorkloadContext {
  /** A fresh empty temp directory for this workload only, removed afterwards. */
  readonly dir: string;
  /** `--quick`: a subset of the data, for a fast smoke run. */
  readonly quick: boolean;
  /** The Synthea data (only when the workload lists `'synthea'` in `needs`). */
  readonly synthea: SyntheaData;
  /** Expensive setup (e.g. a populated store) built once per run and shared between workloads. */
  readonly fixtures: Fixtures;
  /** A progress line (stderr), so that long workloads show they are alive. */
  log(message: string): void;
}

/**
 * A benchmark workload. Add one by writing a file in `bench/src/workloads/`
 * that exports a `Workload`, and listing it in `bench/src/workloads/index.ts`.
 *
 * @example
 * ```ts
 * export const jsonParse: Workload = {
 *   name: 'json.parse',
 *   issue: '#2',
 *   description: 'JSON.parse of every resource',
 *   needs: ['synthea'],
 *   async run(ctx) {
 *     // ...set up, then time only the measured part
 *     return [{ name: 'parse', unit: 'resources/s', value: 1e5 }];
 *   },
 * };
 * ```
 */
export interface Workload {
  /** Dotted name, e.g. `store.commit`; `--only` matches substrings of it. */
  name: string;
  /** The issue it belongs to, e.g. `#2`. */
  issue: string;
  /** One line: what is measured and against which baseline. */
  description: string;
  needs?: DataSet[];
  run(ctx: WorkloadContext): Promise<Figure[]>;
}

/** Memory of one workload, in bytes. */
export interface MemoryFigures {
  /** Highest RSS seen while the workload ran (sampled, and the process peak when it rose). */
  peakRss: number;
  /** RSS after the workload minus RSS before it. */
  rssDelta: number;
  /** Highest heapUsed seen while the workload ran. */
  peakHeapUsed: number;
  /** heapUsed after minus before, both after a full GC (what the workload left behind). */
  heapUsedDelta: number;
}

/** The outcome of one workload. */
export interface WorkloadResult {
  name: string;
  issue: string;
  description: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped, or the error. */
  reason?: string;
  /** Wall time including untimed setup. */
  durationMs: number;
  memory?: MemoryFigures;
  figures: FigureResult[];
}
