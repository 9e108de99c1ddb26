// CORS for the HTTP API routes a browser page calls (PROTOCOL.md §9.2). Without it a page
// on another origin could send `GET /v1/history` but never read the answer. Granted only to
// an origin listed in `allowedOrigins`, the list that already guards upgrades and publishes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context';
import { fail } from './httpAuth';

/** The API routes that answer CORS, and the methods each takes. Probes are not among them. */
const CORS_METHODS: Readonly<Record<string, string>> = { '/v1/history': 'GET, HEAD', '/v1/publish': 'POST' };
/** Request headers a page may send: the bearer token and a JSON body's type. */
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type';
/** Answer headers a page may read beyond the safelisted ones: the retry hints of 429/503 and a 401's challenge. */
export const CORS_EXPOSE_HEADERS = 'Retry-After, x-retry-after-ms, WWW-Authenticate';
/** How long a browser may reuse a preflight answer, seconds. */
export const CORS_MAX_AGE_S = 600;

/**
 * The request's `Origin` when `allowedOrigins` lists it, else `undefined`. Without a list
 * every origin may connect, but none is granted CORS: a page's reading of answers (an open
 * server's history, one on 127.0.0.1 among them) must be asked for by naming its origin.
 */
function listedOrigin(ctx: ServerContext, req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  return origin !== undefined && ctx.opts.allowedOrigins?.includes(origin) ? origin : undefined;
}

/**
 * Adds the CORS headers of `path` to `res` (before the route answers, so its refusals carry
 * them too), and answers a preflight. True when the request has been answered here.
 *
 * - An API route on a server with `allowedOrigins`: `Vary: Origin` on every answer (they
 *   differ by origin, so a cache must not share them); for a listed origin,
 *   `Access-Control-Allow-Origin` echoing it and the exposed headers. No credentials mode:
 *   the API reads a bearer token, not cookies.
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from a listed
 *   origin: 204 with the route's methods, {@link CORS_ALLOW_HEADERS} and a max age; from
 *   another origin 403 `origin not allowed` without CORS headers, as its request would get.
 *   On a server without a list, and for probes, `OPTIONS` stays the 405 it was.
 */
export function applyCors(ctx: ServerContext, path: string, req: IncomingMessage, res: ServerResponse): boolean {
  const methods = CORS_METHODS[path];
  if (methods === undefined || ctx.opts.allowedOrigins === undefined) return false;
  res.setHeader('vary', 'Origin');
  const origin = listedOrigin(ctx, req);
  const isPreflight = req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
  if (origin === undefined) {
    if (isPreflight) fail(res, 403, 'FORBIDDEN', 'origin not allowed');
    return isPreflight;
  }
  res.setHeader('access-control-allow-origin', origin);
  if (!isPreflight) {
    res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    return false;
  }
  req.resume();
  res.writeHead(204, {
    'access-control-allow-methods': methods,
    'access-control-allow-headers': CORS_ALLOW_HEADERS,
    'access-control-max-age': String(CORS_MAX_AGE_S),
  });
  res.end();
  return true;
}
