// @vitest-environment node
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The budget of the issue: react adds at most 1.5 KB min+gzip on top of core. */
const BUDGET_BYTES = 1536;

describe('bundle size', () => {
  it('the whole package is ≤ 1.5 KB min+gzip with react and @lifeline/core external', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      external: ['react', 'react/jsx-runtime', '@lifeline/core'],
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`@lifeline/react: ${code.length} B min, ${gzipped} B min+gzip (budget ${BUDGET_BYTES})`);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
