import { StormError } from '../errors';
import { longestRunMs, STEADY_MS, TAIL_GRACE_MS, warmupLimitMs, type ResolvedStormOptions } from './options';

/**
 * The `exp` of a JWT, in seconds since the epoch, read from its payload (base64url JSON)
 * without checking the signature; null when there is none to read (not three parts, not
 * JSON, no numeric `exp`).
 */
export function tokenExp(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+={0,2}$/.test(parts[1]!)) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    const exp = (payload as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * Refuses (BAD_OPTION) a token whose `exp` comes before `runs` runs of these options could
 * end: the server closes every client with 4101 at its `exp` and a static token cannot be
 * renewed, so the run would fail part-way (or measure the expiry instead of the fault). A
 * token without a readable `exp` is not checked.
 */
export function checkTokenLifetime(o: ResolvedStormOptions, runs = 1, now = Date.now()): void {
  if (o.token === undefined) return;
  const exp = tokenExp(o.token);
  if (exp === null) return;
  const needMs = longestRunMs(o) * runs;
  const leftMs = exp * 1000 - now;
  if (leftMs >= needMs) return;
  const when = leftMs <= 0 ? `expired ${s(-leftMs)} ago` : `expires in ${s(leftMs)}`;
  const each = `warm-up up to ${s(warmupLimitMs(o))}, ${s(STEADY_MS)} of traffic before the fault, duration ${s(o.durationMs)}, tail up to ${s(TAIL_GRACE_MS)}`;
  throw new StormError(
    'BAD_OPTION',
    `the token (--token) ${when} (exp ${new Date(exp * 1000).toISOString()}), before the run could end: up to ${s(needMs)} (${each}${runs > 1 ? `; × ${runs} runs of the comparison` : ''}); at its exp the server closes every client (4101) and a static token cannot be renewed: sign one that outlives the run`,
  );
}
