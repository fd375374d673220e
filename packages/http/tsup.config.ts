import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', fastify: 'src/adapters/fastify.ts', hono: 'src/adapters/hono.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
});
