import { defineConfig } from 'vitest/config';

const shared = {
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
};
const include = ['packages/**/src/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'];
const exclude = ['**/node_modules/**', '**/dist/**'];

/**
 * Two suites: `unit` (`pnpm test`, fast) and `scale` (`pnpm test:scale`: the
 * tests over the full Synthea data, files named `*.scale.test.ts`). CI runs both.
 */
const report = process.env.FHIRSTREAM_TEST_REPORT;

export default defineConfig({
  ...shared,
  test: {
    // CI sets FHIRSTREAM_TEST_REPORT to also write a JSON report (for its closing summary line).
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include,
          exclude: [...exclude, '**/*.scale.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'scale',
          include: ['packages/**/src/**/*.scale.test.ts'],
          exclude,
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
