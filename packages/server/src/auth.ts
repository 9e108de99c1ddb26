import { createHmac, timingSafeEqual } from 'node:crypto';
import { utf8Text, wellFormed } from './wireValues';

/** Claims of a Lifeline token (JWT, HS256). PROTOCOL.md §10. */
export interface TokenClaims {
  /** User; shown in presence as `user`. */
  sub?: string;
  /** Expiry, seconds since the Unix epoch. Required. */
  exp: number;
  /** Not before, seconds since the Unix epoch: until then the token is refused (as malformed). Optional. */
  nbf?: number;
  /** Channel patterns this token may subscribe to (`*` = any run). Missing = all. */
  subscribe?: string[];
  /** Channel patterns this token may publish to. Missing = all. */
  publish?: string[];
  [claim: string]: unknown;
}

/** The outcome of {@link verifyToken}. */
export type VerifyResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'bad' | 'expired'; message: string };

const b64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url');

/**
 * `exp` at or above this (seconds: the year 5138) is taken for milliseconds, refused: a
 * millisecond timestamp now is ~1.8e12.
 */
export const MAX_EXP_SEC = 1e11;

/**
 * Mints an HS256 JWT signed with `secret` (the server's `authSecret`). For tests, examples
 * and backends; the server only verifies. `exp` (seconds since the epoch) defaults to one
 * hour from now when omitted; one in milliseconds (≥ 1e11) throws a RangeError, as does a
 * `sub` with a lone surrogate (verifyToken refuses it: stored as UTF-8 it would be U+FFFD).
 */
export function signToken(claims: Partial<TokenClaims> & Record<string, unknown>, secret: string): string {
  const body = { ...claims };
  if (body.exp === undefined) body.exp = Math.floor(Date.now() / 1000) + 3600;
  else if (typeof body.exp === 'number' && body.exp >= MAX_EXP_SEC) throw new RangeError(`signToken: exp ${body.exp} is in milliseconds; give seconds since the epoch`);
  if (typeof body.sub === 'string' && !wellFormed(body.sub)) throw new RangeError('signToken: sub is not well-formed Unicode (a lone surrogate); verifyToken refuses such a token');
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(body));
  const sig = createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url');
  return `${head}.${payload}.${sig}`;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Verifies signature (canonical base64url only), `alg`, claim shapes, expiry and `nbf` (when
 * present) against `nowMs` (ms since the epoch). `iat` and other claims are not checked.
 * Never throws: `reason` is `'expired'` for a valid token past `exp`, else `'bad'`.
 */
export function verifyToken(token: unknown, secret: string, nowMs: number): VerifyResult {
  const bad = (message: string): VerifyResult => ({ ok: false, reason: 'bad', message });
  if (typeof token !== 'string' || token.length === 0) return bad('token missing');
  const parts = token.split('.');
  if (parts.length !== 3) return bad('token malformed');
  const [head, payload, sig] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    // Decoded strictly: a lossy decode turned every invalid byte into U+FFFD, so tokens
    // with different `sub` bytes were one user (one presence owner, dedupe scope, bucket).
    header = JSON.parse(utf8Text(Buffer.from(head, 'base64url')) ?? '');
    claims = JSON.parse(utf8Text(Buffer.from(payload, 'base64url')) ?? '');
  } catch {
    return bad('token malformed');
  }
  if (!header || typeof header !== 'object' || (header as { alg?: unknown }).alg !== 'HS256') {
    return bad('token alg must be HS256');
  }
  const expected = createHmac('sha256', secret).update(`${head}.${payload}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return bad('bad token signature');
  // Node's decoder skips characters outside the alphabet and the unused low bits of the
  // last one: without this, many strings were the same valid token (a deny-list keyed
  // by token string, a cache, a log search would miss them).
  if (given.toString('base64url') !== sig) return bad('bad token signature');
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return bad('token claims malformed');
  const c = claims as Record<string, unknown>;
  if (typeof c.exp !== 'number' || !Number.isFinite(c.exp)) return bad('token has no exp');
  // Date.now() + 3600_000 as exp made a token valid for millennia, silently.
  if (c.exp >= MAX_EXP_SEC) return bad('token exp is in milliseconds; it is seconds since the epoch');
  if (c.sub !== undefined && typeof c.sub !== 'string') return bad('token sub must be a string');
  // Stored as UTF-8 (Redis presence, publish-id scopes), a lone surrogate turns into U+FFFD:
  // two users whose subs differ only there would be one.
  if (c.sub !== undefined && !wellFormed(c.sub)) return bad('token sub is not well-formed Unicode');
  if (c.subscribe !== undefined && !isStringArray(c.subscribe)) return bad('token subscribe must be string[]');
  if (c.publish !== undefined && !isStringArray(c.publish)) return bad('token publish must be string[]');
  if (c.nbf !== undefined && (typeof c.nbf !== 'number' || !Number.isFinite(c.nbf))) return bad('token nbf must be a number');
  if (c.exp * 1000 <= nowMs) return { ok: false, reason: 'expired', message: 'token expired' };
  // RFC 7519 §4.1.5. 'bad', not 'expired': refreshing at once would not help.
  if (c.nbf !== undefined && c.nbf * 1000 > nowMs) return bad('token not valid yet (nbf)');
  return { ok: true, claims: c as TokenClaims };
}

/**
 * `*` matches any run of characters (including none); everything else is literal.
 * Linear-time glob matching (no regular expressions, so no catastrophic backtracking).
 */
export function matchesPattern(pattern: string, channel: string): boolean {
  return matchesRuns(pattern.split('*'), channel);
}

/**
 * Whether `channel` is the literal runs of a pattern (split at its stars) with anything
 * between them: the first run starts it, the last ends it, and each one between is taken
 * where it first occurs after the one before (with `*` the only wildcard, the leftmost
 * place is never worse). The backtracking matcher this replaces cost O(pattern × channel)
 * on patterns like `*x*x*x*x*y`: a token of 900 of them took ~1.3 ms per check.
 */
function matchesRuns(runs: readonly string[], channel: string): boolean {
  const first = runs[0]!;
  if (runs.length === 1) return first === channel;
  const last = runs[runs.length - 1]!;
  const end = channel.length - last.length;
  if (end < first.length || !channel.startsWith(first) || !channel.endsWith(last)) return false;
  let at = first.length;
  for (let i = 1; i < runs.length - 1; i++) {
    const run = runs[i]!;
    if (run === '') continue;
    const found = channel.indexOf(run, at);
    if (found === -1 || found + run.length > end) return false;
    at = found + run.length;
  }
  return true;
}

/** Verdicts remembered per pattern list (one per verified token and action). */
const VERDICTS_PER_LIST = 256;

interface CompiledList {
  runs: (readonly string[])[];
  /** channel → allowed, the most recent {@link VERDICTS_PER_LIST} (oldest first). */
  verdicts: Map<string, boolean>;
}

/**
 * Keyed by the claims' own pattern array, so dropped with the token (an accepted `auth`
 * brings new claims). A connection asks about the same few channels again and again
 * (each publish, re-subscribe, enter), and each answer walked every pattern.
 */
const compiled = new WeakMap<readonly string[], CompiledList>();

/** Whether `claims` (undefined = open server) allow `action` on `channel`. */
export function allows(claims: TokenClaims | undefined, action: 'subscribe' | 'publish', channel: string): boolean {
  const patterns = claims?.[action];
  if (patterns === undefined) return true;
  let list = compiled.get(patterns);
  if (!list) compiled.set(patterns, (list = { runs: patterns.map((p) => p.split('*')), verdicts: new Map() }));
  let verdict = list.verdicts.get(channel);
  if (verdict === undefined) {
    verdict = list.runs.some((runs) => matchesRuns(runs, channel));
    if (list.verdicts.size >= VERDICTS_PER_LIST) list.verdicts.delete(list.verdicts.keys().next().value as string);
    list.verdicts.set(channel, verdict);
  }
  return verdict;
}
