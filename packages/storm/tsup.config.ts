import { defineConfig } from 'tsup';

export default defineConfig({
  // shardWorker is loaded by path from the cli/index bundles (worker_threads).
  entry: ['src/index.ts', 'src/cli.ts', 'src/shardWorker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: ['src/index.ts', 'src/cli.ts'] },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: false,
  treeshake: true,
  shims: true,
});
