/**
 * A number for a table: thousands separators, about 3 significant digits.
 *
 * @example
 * ```ts
 * formatNumber(123456.7); // '123,457'
 * formatNumber(0.4567);   // '0.457'
 * ```
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes as MB (10^6), signed. */
export function formatMb(bytes: number): string {
  return `${formatNumber(bytes / 1e6)} MB`;
}

/** Milliseconds as `850 ms` or `12.3 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${formatNumber(ms)} ms` : `${formatNumber(ms / 1000)} s`;
}

/**
 * Render rows as an aligned plain-text table with a header rule.
 *
 * @example
 * ```ts
 * process.stdout.write(renderTable(['a', 'b'], [['1', '2']], ['left', 'right']));
 * ```
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly ('left' | 'right')[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return `${[line(headers), rule, ...rows.map(line)].join('\n')}\n`;
}
