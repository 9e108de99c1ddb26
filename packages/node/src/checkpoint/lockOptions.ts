import { LifelineNodeError, showValue } from '../errors';
import type { LockWait } from './fileLock';

/** The `lock` option of {@link fileCheckpoint} as an object: wait for a live holder instead of refusing at once. */
export interface FileCheckpointLockOptions {
  /**
   * How long to wait for a live holder to release the lock before refusing with
   * `CHECKPOINT_LOCKED`: for a rolling deploy, whose new process starts while the old one
   * still drains. `Infinity` waits for as long as it takes. Meanwhile the first `load`/`save`
   * (the first `messages()` iteration) waits, and the process stays alive. @default 0
   */
  waitMs?: number | undefined;
  /** How often the lock is tried again while waiting. 1 … 2³¹ − 1. @default 250 */
  pollMs?: number | undefined;
}

export const LOCK_DEFAULTS: Readonly<LockWait> = { waitMs: 0, pollMs: 250 };

const MAX_DELAY = 2 ** 31 - 1;

/** The lock option, checked: `null` for no lock. @throws LifelineNodeError `BAD_OPTION` */
export function resolveLockOption(lock: unknown): LockWait | null {
  if (lock === undefined || lock === true) return LOCK_DEFAULTS;
  if (lock === false) return null;
  const bad = (what: string) => new LifelineNodeError('BAD_OPTION', `fileCheckpoint() lock ${what}`);
  if (typeof lock !== 'object' || lock === null || Array.isArray(lock)) {
    throw bad(`must be true, false or { waitMs, pollMs } (got ${typeof lock === 'object' ? showValue(lock) : `${typeof lock} ${showValue(lock)}`})`);
  }
  const unknown = Object.keys(lock).filter((key) => key !== 'waitMs' && key !== 'pollMs');
  if (unknown.length > 0) throw bad(`has unknown key ${JSON.stringify(unknown[0])} (known: waitMs, pollMs)`);
  const { waitMs = LOCK_DEFAULTS.waitMs, pollMs = LOCK_DEFAULTS.pollMs } = lock as FileCheckpointLockOptions;
  if (typeof waitMs !== 'number' || Number.isNaN(waitMs) || waitMs < 0) throw bad(`waitMs must be a number ≥ 0 or Infinity (got ${showValue(waitMs)})`);
  if (typeof pollMs !== 'number' || !Number.isInteger(pollMs) || pollMs < 1 || pollMs > MAX_DELAY) {
    throw bad(`pollMs must be an integer 1 … 2^31 − 1 (got ${showValue(pollMs)})`);
  }
  return { waitMs, pollMs };
}
