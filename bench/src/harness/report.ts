import { formatDuration, formatMb, formatNumber, renderTable } from './format.js';
import type { Figure, FigureResult, WorkloadResult } from './types.js';

/**
 * Add the ratio to the baseline (always "higher is better") and the verdict.
 *
 * @example
 * ```ts
 * scoreFigure({ name: 'x', unit: 'ops/s', value: 50, baseline: { name: 'raw', value: 100 }, target: { minRatio: 0.5 } });
 * // → { ..., ratio: 0.5, pass: true }
 * ```
 */
export function scoreFigure(figure: Figure): FigureResult {
  const lower = figure.better === 'lower';
  const ratio =
    figure.baseline && figure.baseline.value > 0 && figure.value > 0
      ? lower
        ? figure.baseline.value / figure.value
        : figure.value / figure.baseline.value
      : undefined;
  const t = figure.target;
  let pass: boolean | undefined;
  if (t) {
    pass = true;
    if (t.minRatio !== undefined) pass &&= ratio !== undefined && ratio >= t.minRatio;
    if (t.min !== undefined) pass &&= figure.value >= t.min;
    if (t.max !== undefined) pass &&= figure.value <= t.max;
  }
  return { ...figure, ...(ratio !== undefined ? { ratio } : {}), ...(pass !== undefined ? { pass } : {}) };
}

function targetText(f: Figure): string {
  const t = f.target;
  if (!t) return '-';
  const parts: string[] = [];
  if (t.minRatio !== undefined) parts.push(`ratio >= ${t.minRatio}`);
  if (t.min !== undefined) parts.push(`>= ${formatNumber(t.min)} ${f.unit}`);
  if (t.max !== undefined) parts.push(`<= ${formatNumber(t.max)} ${f.unit}`);
  return parts.join(', ');
}

/** The results table: workload | figure | value | baseline | ratio | target | pass/fail. */
export function resultsTable(results: readonly WorkloadResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    if (r.status !== 'ok') {
      rows.push([r.name, `${r.status.toUpperCase()}: ${r.reason ?? ''}`, '', '', '', '', '']);
      continue;
    }
    for (const f of r.figures) {
      rows.push([
        r.name,
        f.name,
        `${formatNumber(f.value)} ${f.unit}`,
        f.baseline ? `${f.baseline.name}: ${formatNumber(f.baseline.value)}` : '-',
        f.ratio !== undefined ? formatNumber(f.ratio) : '-',
        targetText(f),
        f.pass === undefined ? '-' : f.pass ? 'pass' : 'FAIL',
      ]);
    }
  }
  return renderTable(
    ['workload', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'pass/fail'],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'left', 'left'],
  );
}

/** Wall time and memory per workload. */
export function memoryTable(results: readonly WorkloadResult[]): string {
  const rows = results
    .filter((r) => r.status !== 'skipped')
    .map((r) => [
      r.name,
      r.status,
      formatDuration(r.durationMs),
      r.memory ? formatMb(r.memory.peakRss) : '-',
      r.memory ? formatMb(r.memory.rssDelta) : '-',
      r.memory ? formatMb(r.memory.peakHeapUsed) : '-',
      r.memory ? formatMb(r.memory.heapUsedDelta) : '-',
    ]);
  return renderTable(
    [
      'workload',
      'status',
      'wall time',
      'peak RSS',
      'RSS delta',
      'peak heapUsed',
      'heapUsed delta (after GC)',
    ],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
  );
}
