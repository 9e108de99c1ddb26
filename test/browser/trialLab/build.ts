import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';


/**
 * Bundles the trial page with `@lifeline/core`'s and `@lifeline/react`'s built `browser`
 * entries (dist/index.browser.js, what an app bundler picks), React's development build.
 */
export async function buildTrial(): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./entry.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}
