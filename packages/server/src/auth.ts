import { createHmac, timingSafeEqual } from 'node:crypto';
import { editDistance } from './broker/optionKeys';
import { utf8Text, wellFormed } from './wireValues';

/** Claims of a Lifeline token (JWT, HS256). PROTOCOL.md §10. */
export interface TokenClaims {
  /** User; shown in presence as `user`. */
  sub?: string | undefined;
  /** Expiry, seconds since the Unix epoch. Required. */
  exp: number;
  /** Not before, seconds since the Unix epoch: until then the token is refused (as malformed). Optional. */
  nbf?: number | undefined;
  /** Channel patterns this token may subscribe to (`*` = any run). Missing = all. */
  subscribe?: string[] | undefined;
  /** Channel patterns this token may publish to. Missing = all. */
  publish?: string[] | undefined;
  [claim: string]: unknown;
}

/**
 * What {@link signToken} takes: the {@link TokenClaims}, `exp` optional, each given as
 * `undefined` the same as left out. Other claims (your own, `iat`, `iss`, …) are signed as
 * they are, except a name that looks like a misspelt Lifeline claim (see signToken).
 */
export interface SignTokenClaims {
  /** User; shown in presence as `user`. A string of well-formed Unicode. @default none (anonymous) */
  sub?: string | undefined;
  /** Expiry, seconds since the Unix epoch (a finite number below 1e11). @default now + 3600 */
  exp?: number | undefined;
  /** Not before, seconds since the Unix epoch (a finite number). @default none */
  nbf?: number | undefined;
  /** Channel patterns this token may subscribe to (`*` = any run); `[]` = none. @default none: every channel */
  subscribe?: readonly string[] | undefined;
  /** Channel patterns this token may publish to; `[]` = none. @default none: every channel */
  publish?: readonly string[] | undefined;
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

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The claims verifyToken reads: a missing `subscribe` or `publish` means every channel. */
const LIFELINE_CLAIMS = ['sub', 'exp', 'nbf', 'subscribe', 'publish'] as const;
/** Registered JWT claims (RFC 7519 §4.1) signed as given, never taken for a misspelt Lifeline claim (`aud` is 2 edits from `sub`). */
const REGISTERED_CLAIMS = new Set(['iss', 'aud', 'iat', 'jti']);

/**
 * The Lifeline claim `key` looks like a misspelling of, if any: the same name in another
 * case (`Subscribe`), the start of `subscribe`/`publish` (`pub`, `subs`) or another form of
 * it (`subscriptions`, `publisher`), jsonwebtoken's option names (`expiresIn`, `subject`,
 * `notBefore`: signed as claims, they did nothing), or within 2 edits of `subscribe` or
 * `publish` (`subscibe`, `publsh`); the three-letter names by case alone, so custom claims
 * like `sid`, `hub` or `ext` stay custom.
 */
function misspeltClaim(key: string): string | undefined {
  if (REGISTERED_CLAIMS.has(key)) return undefined;
  const lower = key.toLowerCase();
  const sameCase = LIFELINE_CLAIMS.find((c) => c === lower);
  if (sameCase !== undefined) return sameCase;
  for (const [c, stem] of [['subscribe', 'subscri'], ['publish', 'publis'], ['exp', 'expir']] as const) {
    if ((lower.length >= 3 && c.startsWith(lower)) || lower.startsWith(stem)) return c;
  }
  if (lower === 'subject') return 'sub';
  if (lower === 'notbefore') return 'nbf';
  // Three-letter names by case alone (above): one edit away are custom claims (`hub`, `ext`).
  return LIFELINE_CLAIMS.find((c) => c.length > 3 && editDistance(lower, c, 3) <= 2);
}

/** `claims[name]` when given, checked as verifyToken will check it, so a token that every server would refuse is never minted. */
function checkClaim(name: (typeof LIFELINE_CLAIMS)[number], value: unknown): void {
  const shown = JSON.stringify(value) ?? String(value);
  switch (name) {
    case 'sub':
      if (typeof value !== 'string') throw new TypeError(`signToken: sub must be a string, got ${shown}`);
      if (!wellFormed(value)) throw new RangeError('signToken: sub is not well-formed Unicode (a lone surrogate); verifyToken refuses such a token');
      return;
    case 'exp':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`signToken: exp must be a finite number (seconds since the epoch), got ${shown}`);
      if (value >= MAX_EXP_SEC) throw new RangeError(`signToken: exp ${value} is in milliseconds; give seconds since the epoch`);
      return;
    case 'nbf':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`signToken: nbf must be a finite number (seconds since the epoch), got ${shown}`);
      return;
    case 'subscribe':
    case 'publish':
      // A string here was signed, then every connection with it was refused ("subscribe must be string[]").
      if (!isStringArray(value)) throw new TypeError(`signToken: ${name} must be an array of channel patterns (string[]), got ${shown}`);
  }
}

/**
 * Mints an HS256 JWT signed with `secret` (the server's `authSecret`). For tests, examples
 * and backends; the server only verifies. `exp` (seconds since the epoch) defaults to one
 * hour from now when omitted. Each Lifeline claim is checked as verifyToken checks it: one
 * of the wrong type (`subscribe: 'room:*'`, a non-finite `exp`) throws a TypeError; `exp`
 * in milliseconds (≥ 1e11) or a `sub` with a lone surrogate a RangeError. A claim whose
 * name looks like a misspelt `sub`, `exp`, `nbf`, `subscribe` or `publish` (another case,
 * up to 2 edits of the long ones, `subscriptions`) while that claim is not given throws a
 * TypeError naming the intended one: a token without `subscribe` or `publish` is allowed on
 * every channel, so `subscibe` minted one. Other claims (and those, beside the claim they
 * resemble: `subscriptionId` with `subscribe`) are signed as given.
 */
export function signToken(claims: SignTokenClaims, secret: string): string {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError(`signToken: claims must be an object, got ${Array.isArray(claims) ? 'an array' : String(claims)}`);
  }
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(claims)) {
    const known = (LIFELINE_CLAIMS as readonly string[]).includes(key);
    // Refused even when undefined: the same line with a value set minted an unrestricted token.
    // Only while the claim it looks like is not given itself: beside a `subscribe`, a
    // `subscriptionId` is the app's own claim, not a misspelling of it.
    const meant = known ? undefined : misspeltClaim(key);
    if (meant !== undefined && claims[meant] === undefined) {
      const open = meant === 'subscribe' || meant === 'publish' ? `; without ${meant} the token may ${meant} on every channel` : '';
      throw new TypeError(`signToken: claim ${JSON.stringify(key)} is not a Lifeline claim (did you mean ${meant}?)${open}; to sign it as a claim of your own, give ${meant} too`);
    }
    // Left out of the JSON anyway: `undefined` is "not given", as for options.
    if (value === undefined) continue;
    if (known) checkClaim(key as (typeof LIFELINE_CLAIMS)[number], value);
    body[key] = value;
  }
  if (body.exp === undefined) body.exp = Math.floor(Date.now() / 1000) + 3600;
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(body));
  const sig = createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url');
  return `${head}.${payload}.${sig}`;
}

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
