import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', lmdb: 'src/lmdb.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
});
