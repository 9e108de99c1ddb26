// A tiny static server for the built chat, plus the one endpoint the
// "drop connection" button needs. Loopback only.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/**
 * Serves `root` on 127.0.0.1:`port` (0 = any free port).
 * - `POST /api/drop` calls `onDrop()` (e.g. the reference server's `faults.dropAll`).
 * - `GET /` without `?server=` redirects to the same page with `defaultQuery`, so a
 *   bare URL still finds the reference server.
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function serveApp({ root, port = 0, onDrop, defaultQuery }) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/api/drop') {
        if (req.method !== 'POST' || !onDrop) return send(res, 405, 'POST only');
        await onDrop();
        return send(res, 204, '');
      }
      if (url.pathname === '/' && defaultQuery && !url.searchParams.has('server')) {
        res.writeHead(302, { location: `/?${new URLSearchParams(defaultQuery)}` });
        return res.end();
      }
      const file = normalize(join(root, url.pathname === '/' ? 'index.html' : url.pathname));
      if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return send(res, 403, 'forbidden');
      const body = await readFile(file).catch(() => null);
      if (!body) return send(res, 404, 'not found');
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch (e) {
      send(res, 500, String(e?.message ?? e));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const { port: actual } = server.address();
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
