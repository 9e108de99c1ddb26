import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('packaging', () => {
  it('importing reads no browser global (SSR-safe, no side effects at import)', async () => {
    const touched: string[] = [];
    const g = globalThis as any;
    for (const name of ['window', 'document', 'navigator', 'location']) {
      Object.defineProperty(g, name, {
        configurable: true,
        get: () => {
          touched.push(name);
          return undefined;
        },
      });
    }
    try {
      vi.resetModules();
      const mod = await import('../src/index');
      expect(typeof mod.createClient).toBe('function');
      expect(touched).toEqual([]);
    } finally {
      for (const name of ['window', 'document', 'navigator', 'location']) delete g[name];
    }
  });

  it('bundles for the browser with no Node built-ins and no ws', async () => {
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      external: ['ws'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || /\/ws\//.test(p))).toEqual([]);
    expect(inputs.some((p) => p.includes('isomorphic-ws/browser.js'))).toBe(true);
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*"ws"|require\("ws"\)/);
  });
});
