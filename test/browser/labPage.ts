// What both React lab tests serve to Chromium: the lab bundled with esbuild, and a page
// whose #root holds a server render chosen from the query (empty: a client-only mount).
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build, type BuildOptions } from 'esbuild';

/**
 * Bundles `entry` for the browser (ESM, automatic JSX, React's development build so its
 * warnings, hydration mismatches among them, reach the console); `extra` adds resolution
 * (conditions or plugins).
 */
export async function bundleLab(entry: string, extra: BuildOptions = {}): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
    ...extra,
  });
  return out.outputFiles![0]!.text;
}

/** Serves `js` at /lab.js and, at any other path, a page with `markup(query)` in #root; on loopback port 0. */
export async function serveLab(js: string, markup: (q: URLSearchParams) => string): Promise<{ base: string; close(): Promise<void> }> {
  const http = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/lab.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return void res.end(js);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>lab</title></head><body><div id="root">${markup(url.searchParams)}</div><script type="module" src="/lab.js"></script></body></html>`);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => http.close(() => r())),
  };
}
