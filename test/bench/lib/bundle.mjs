// Browser bundle measurement: esbuild (minified ESM, platform browser), then gzip -9.
// Shared by size.mjs (the table) and test/packaging/size-budget.test.ts (the budgets).
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** Directory whose node_modules holds @lifeline/* and every peer SDK. */
export const benchDir = fileURLToPath(new URL('..', import.meta.url));

const requireFromBench = createRequire(new URL('../package.json', import.meta.url));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Bundles `source` (an ES module as text, resolved from the bench package) for the
 * browser. Returns raw and min+gzip byte counts plus every Node built-in the
 * bundle imports (it must be none for browser code).
 */
export async function measureBundle(source, { external = [] } = {}) {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: benchDir, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The workspace tsconfig maps @lifeline/* to src for tests; a user's bundler sees dist.
    tsconfigRaw: '{}',
    external,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const code = result.outputFiles[0].contents;
  const imported = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
  const nodeImports = [...new Set(imported.filter((p) => p.startsWith('node:') || builtins.has(p)))];
  return {
    minBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    nodeImports,
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** An entry that keeps every export of `spec` alive (no tree shaking in our favour). */
export const everything = (spec) => `import * as m from '${spec}';\nexport default m;\n`;

/** Version of an installed package, as resolved from the bench package. */
export function versionOf(name) {
  // Walk up from the resolved entry to the package's own package.json (exports maps
  // often hide ./package.json, so it cannot simply be required).
  let dir = path.dirname(requireFromBench.resolve(name));
  while (dir !== path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      const json = JSON.parse(readFileSync(pj, 'utf8'));
      if (json.name === name) return json.version;
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** What the size table and the budgets measure, by row. */
export const sizeTargets = [
  { name: '@lifeline/core', source: everything('@lifeline/core') },
  // What an app that only calls createClient ships (tree-shaken), for reference.
  { name: '@lifeline/core (createClient only)', pkg: '@lifeline/core', source: "export { createClient } from '@lifeline/core';\n" },
  // Measured as the whole stack (core + react) with react itself external; the
  // "on top of core" figure is this minus the core row.
  { name: '@lifeline/react', source: everything('@lifeline/react'), external: ['react', 'react/jsx-runtime', 'react-dom'], onTopOf: '@lifeline/core' },
  { name: 'partysocket', source: everything('partysocket'), peer: true },
  { name: 'reconnecting-websocket', source: everything('reconnecting-websocket'), peer: true },
  { name: 'phoenix', source: everything('phoenix'), peer: true },
  { name: 'socket.io-client', source: everything('socket.io-client'), peer: true },
  { name: 'pusher-js', source: everything('pusher-js'), peer: true },
  { name: 'centrifuge', source: everything('centrifuge'), peer: true },
  { name: 'ably', source: everything('ably'), peer: true },
  {
    name: 'ably (modular: realtime + ws + fetch)',
    pkg: 'ably',
    source: "import { BaseRealtime, WebSocketTransport, FetchRequest } from 'ably/modular';\nexport default { BaseRealtime, WebSocketTransport, FetchRequest };\n",
    peer: true,
  },
];
