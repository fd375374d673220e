/** Command-line options of `pnpm bench`. */
export interface BenchOptions {
  /** Run only workloads whose name contains one of these substrings. */
  only: string[];
  /** A subset of the data (the first {@link QUICK_BUNDLES} bundles), for a fast smoke run. */
  quick: boolean;
  /** Exit 1 when a target is missed (by default targets are reported, not enforced). */
  strict: boolean;
  /** Keep the temp directories (print where they are). */
  keep: boolean;
  /** Only list the workloads. */
  list: boolean;
  help: boolean;
}

/** Bundles loaded with `--quick`. */
export const QUICK_BUNDLES = 10;

export const USAGE = `Usage: pnpm bench [-- options]

  --only <substr>   run only workloads whose name contains <substr>
                    (repeat it or separate with commas for several)
  --quick           use the first ${QUICK_BUNDLES} bundles only (fast smoke run)
  --strict          exit 1 when a target is missed
  --keep            keep the temp directories
  --list            list the workloads and exit
  --help            this text

Results: printed, and written to bench/results/latest.json.
`;

/**
 * Parse the arguments (a bare `--`, as some pnpm versions pass it on, is ignored).
 *
 * @example
 * ```ts
 * parseBenchArgs(['--', '--only', 'store', '--quick']); // { only: ['store'], quick: true, ... }
 * ```
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    only: [],
    quick: false,
    strict: false,
    keep: false,
    list: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg];
    switch (flag) {
      case '--only': {
        const value = inline ?? argv[++i];
        if (!value) throw new Error('--only needs a value');
        options.only.push(...value.split(',').filter(Boolean));
        break;
      }
      case '--quick':
        options.quick = true;
        break;
      case '--strict':
        options.strict = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--list':
        options.list = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`Unknown argument: ${arg}`);
    }
  }
  return options;
}
