import { defineConfig } from 'tsup';

export default defineConfig({
  // The index worker is its own entry: the search projector starts it as a worker thread.
  entry: { index: 'src/index.ts', 'index-worker': 'src/search/index-worker.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
});
