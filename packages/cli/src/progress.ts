/**
 * A progress bar on stderr (only when it is a terminal) and the rate/summary
 * arithmetic of the commands.
 */
import cliProgress from 'cli-progress';

/** A progress bar that is silent when stderr is not a TTY. */
export interface Progress {
  start(total: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

/**
 * Create a progress bar with the given unit (e.g. `files`, `types`).
 *
 * @example
 * ```ts
 * const bar = progressBar('files');
 * bar.start(10, { resources: 0, rate: 0, item: '' });
 * bar.update(1, { resources: 500, rate: 1200, item: 'a.json' });
 * bar.stop();
 * ```
 */
export function progressBar(unit: string, quiet = false): Progress {
  if (quiet || !process.stderr.isTTY) return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `{bar} {value}/{total} ${unit} | {resources} resources | {rate}/s | {item}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, payload) => bar.start(total, 0, { resources: 0, rate: 0, item: '', ...payload }),
    update: (value, payload) => bar.update(value, payload),
    stop: () => bar.stop(),
  };
}

/** Resources per second, rounded. */
export function rate(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}
