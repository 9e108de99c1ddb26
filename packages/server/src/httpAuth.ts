import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyToken, type TokenClaims } from './auth';
import type { ServerContext } from './context';
import type { KeyedBuckets } from './tokenBucket';
import { originAllowed, retryHeaders } from './upgrade';

// The gate every HTTP API route (POST /v1/publish, GET /v1/history) passes before its
// own work: the browser Origin, the bearer token, the caller's rate bucket; and the JSON
// answers they all give.

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const fail = (res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void =>
  json(res, status, { code, message }, headers);

/** Answers without reading the body, then drops the connection (the body may be endless). */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.on('finish', () => req.destroy());
  fail(res, status, code, message, { ...headers, connection: 'close' });
}

/**
 * Whose bucket a request draws on: the token's subject (the token itself when it names
 * none) with a secret, else the remote address. Prefixed so that a `sub` can never name
 * another kind of key.
 */
function callerKey(claims: TokenClaims | undefined, token: string | undefined, req: IncomingMessage): string {
  if (claims === undefined) return `addr:${req.socket.remoteAddress ?? ''}`;
  return typeof claims.sub === 'string' ? `sub:${claims.sub}` : `token:${token ?? ''}`;
}

/** A request let through by {@link admit}: its token's claims (`undefined` on an open server). */
export interface Admitted {
  claims: TokenClaims | undefined;
  /** Whose bucket it drew on (token subject, or remote address on an open server). */
  key: string;
}

/**
 * Origin, then bearer token (with a secret), then one token from `bucket` (the caller's:
 * see {@link callerKey}). Returns the caller, or `undefined` once the request has been
 * refused (403 origin, 401 token, 429 rate), answered with `Connection: close` and
 * without reading its body. `what` names the requests the bucket counts in the 429's
 * message (`publishes`, `history reads`).
 */
export function admit(ctx: ServerContext, bucket: KeyedBuckets, what: string, req: IncomingMessage, res: ServerResponse): Admitted | undefined {
  const { opts } = ctx;
  // Browsers send Origin on a cross-origin request, and a text/plain POST (or any GET)
  // needs no preflight: without this check any page could publish (or read) through a
  // visitor's browser on a server whose upgrades allowedOrigins guards. Backends send no
  // Origin and are unaffected.
  if (!originAllowed(ctx, req)) return void refuse(req, res, 403, 'FORBIDDEN', 'origin not allowed');
  let claims: TokenClaims | undefined;
  let token: string | undefined;
  if (opts.authSecret !== undefined) {
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer <token>` is the same credential.
    token = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    const verdict = verifyToken(token, opts.authSecret, opts.clock.now());
    // Reading the body to its end first let anyone without a token stream into the server without limit.
    if (!verdict.ok) {
      const expired = verdict.reason === 'expired';
      // RFC 9110 §11.6.1: a 401 names its scheme (RFC 6750 §3 the error), so HTTP clients and
      // proxies know what was refused.
      const challenge = `Bearer realm="lifeline", error="invalid_token"${expired ? ', error_description="token expired"' : ''}`;
      return void refuse(req, res, 401, expired ? 'TOKEN_EXPIRED' : 'BAD_TOKEN', verdict.message, { 'www-authenticate': challenge });
    }
    claims = verdict.claims;
  }
  // Before the body: a refused request should cost the server no more than its headers.
  // Every request counts, bad ones too (parsing them is work as well).
  const key = callerKey(claims, token, req);
  const wait = bucket.take(key);
  if (wait > 0) {
    const ms = Number.isFinite(wait) ? wait : 1000;
    return void refuse(req, res, 429, 'RATE_LIMITED', `above ${opts.httpPublishPerSec} ${what}/s; retry in ${Math.ceil(ms)} ms`, retryHeaders(ms));
  }
  return { claims, key };
}
