import { randomBytes } from 'node:crypto';
import { stat, unlink, writeFile } from 'node:fs/promises';
import { createComplete } from './atomicCreate';
import { fileClockNow } from './fileClock';
import { holderIsGone, ownIdentity, parseLockRecord, pidIsCheckable, type LockRecord } from './lockHolder';
import { generationKey, readLockFile, sameLock, type FoundLock } from './lockFiles';
import { processWide } from './processWide';

/** How long a claim file may stay unreadable: only without hard links (created, not yet written). */
const TORN_CLAIM_MS = 2_000;
/** Claims on one lock file: each past the first is a taker that died or froze half-way. */
const MAX_CLAIMS = 32;
/** A claim's text once its taker gave up without touching the lock (renewed, or a later claim took over). */
const RELEASED = 'released\n';

/**
 * `<checkpoint>.lock.<key>.<n>.claim`: the n-th claim on the lock file whose
 * {@link generationKey} is `key`. Whoever creates claim n (exclusively) may replace or remove
 * that lock file, once it has checked that claim n + 1 does not exist.
 */
export const claimPathOf = (lockPath: string, key: string, n: number): string => `${lockPath}.${key}.${n}.claim`;

/** Tokens of this realm's claims left unsettled (their file could be neither marked nor removed): stale for this realm. */
const ownClaims = processWide<true>('lockClaimTokens');

/**
 * `'done'`: `act` ran; `'changed'`: it did not, the lock file is no longer `found` as `still`
 * wants it (re-read it); `claimedBy`: another live process is at it right now (its record;
 * null while its claim is unreadable).
 */
export type ClaimOutcome = 'done' | 'changed' | { claimedBy: LockRecord | null };

/**
 * Runs `act` (replacing or removing the lock file `found`) as the one process allowed to: a
 * file system has no "replace this name only if it is still that file", so every process
 * that would change a given lock file first creates a claim on it — exclusively, hence one
 * winner — and checks that the lock file is still `found` (`still`) only once it holds that
 * claim. Nobody else changes that lock file meanwhile: a creator finds the path taken, any
 * other taker or release needs the same claim, and a process that read an earlier lock file
 * finds it gone. A claim whose process is gone (the lock's own rules: its PID on this host,
 * its 30 s lease from elsewhere) is passed over to the next one, n + 1; its process, if it
 * was only frozen and wakes up, sees claim n + 1 and gives up. Claims are removed once their
 * lock file left the path, marked released otherwise. Rejects with the file system's error
 * (a read-only directory).
 */
export async function underClaim(
  lockPath: string,
  target: string,
  found: FoundLock,
  still: (now: FoundLock | null) => boolean,
  act: () => Promise<void>,
): Promise<ClaimOutcome> {
  const key = generationKey(found);
  const token = randomBytes(8).toString('hex');
  const text = `${JSON.stringify({ ...ownIdentity(), acquiredAt: new Date().toISOString(), token })}\n`;
  for (let n = 0; n < MAX_CLAIMS; n += 1) {
    const path = claimPathOf(lockPath, key, n);
    if ((await createComplete(path, text, target)) === 'exists') {
      const claim = await readLockFile(path);
      if (claim === null) return 'changed'; // settled meanwhile: that lock file went
      if (await claimIsStale(claim, target)) continue;
      return { claimedBy: parseLockRecord(claim.text) };
    }
    ownClaims.set(token, true);
    let done = false;
    try {
      if (await exists(claimPathOf(lockPath, key, n + 1))) return 'changed';
      if (!still(await readLockFile(lockPath))) return 'changed';
      await act();
      done = true;
      return 'done';
    } finally {
      if (await settle(lockPath, key, n, found, done)) ownClaims.delete(token);
    }
  }
  throw new Error(
    `${MAX_CLAIMS} takeovers of the lock file ${lockPath} ended half-way (their processes died or froze): once none runs, remove ${lockPath}.*.claim`,
  );
}

/**
 * Once the lock file `found` left the path (taken, removed) it never comes back: every claim
 * on it is removed. Still there (renewed: its holder lives; or a later claim goes on), this
 * process's claim n is marked released so that the next taker passes over it. Best effort:
 * false when the claim could be neither (it then looks live to other processes until this
 * one exits or, from another host, for its lease; this process passes over it).
 */
async function settle(lockPath: string, key: string, n: number, found: FoundLock, done: boolean): Promise<boolean> {
  try {
    if (done || !sameLock(await readLockFile(lockPath), found)) {
      for (let i = n; i >= 0; i -= 1) await unlink(claimPathOf(lockPath, key, i)).catch(() => {});
    } else {
      await writeFile(claimPathOf(lockPath, key, n), RELEASED);
    }
    return true;
  } catch {
    return false;
  }
}

async function claimIsStale(claim: FoundLock, target: string): Promise<boolean> {
  if (claim.text === RELEASED) return true;
  const record = parseLockRecord(claim.text);
  // Being written (no hard links: created, then written), being marked released, or torn.
  if (record === null) return (await fileClockNow(target)) - claim.mtimeMs >= TORN_CLAIM_MS;
  if (ownClaims.has(record.token)) return true;
  const now = pidIsCheckable(record) ? Date.now() : await fileClockNow(target);
  return holderIsGone(record, claim.mtimeMs, now);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
