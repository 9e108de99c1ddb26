import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The Redis broker is built as its own file so the CLI can load it on demand (and
// fail clearly while it does not exist yet).
const entry: Record<string, string> = { index: 'src/index.ts', cli: 'src/cli.ts' };
if (existsSync('src/broker/redisBroker.ts')) entry['broker/redisBroker'] = 'src/broker/redisBroker.ts';

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: false,
  treeshake: true,
});
