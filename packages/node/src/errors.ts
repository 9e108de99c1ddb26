import type { GapEvent } from '@lifeline/core';
import type { CheckpointLockHolder } from './checkpoint/lockHolder';

/** Machine-readable codes of {@link LifelineNodeError}. */
export type LifelineNodeErrorCode =
  | 'GAP' // a gap event (epoch changed, out of retention, unfillable hole) and onGap is 'stop' (details.gap)
  | 'CONSUMER_STOPPED' // consume(): the handler failed and the error policy stops, or onRetry threw
  | 'DEAD_LETTER_FAILED' // the dead-letter callback itself threw
  | 'CHECKPOINT_FAILED' // the checkpoint store could not load or save
  | 'CHECKPOINT_CORRUPT' // the stored checkpoint is not a valid position
  | 'CHECKPOINT_CONFLICT' // fileCheckpoint: another process wrote the file since this one last read or wrote it (one file per process)
  | 'CHECKPOINT_LOCKED' // fileCheckpoint: another live process holds the file's lock (details: path, lockPath, holder {pid, hostname, startedAt, acquiredAt}), or took it from this one
  | 'ALREADY_CONSUMING' // a second messages()/consume() on the same channel while one runs (thrown by its first next())
  | 'CLIENT_CLOSED' // messages()/consume()/publish() after close(), or messages()/consume() during or after drain(); drain() after close()
  | 'CLIENT_STOPPED' // core gave up connecting for good (terminal refusal, token refused, maxAttempts): running iterations fail with it
  | 'BAD_OPTION'; // an option has an invalid value

/**
 * The `details` of {@link LifelineNodeError} by code, as `isLifelineNodeError(e, code)` types
 * them (`undefined`: that code carries none, or only sometimes — `BAD_OPTION` has them for an
 * unknown key only).
 */
export interface LifelineNodeErrorDetailsMap {
  /** The gap that stopped the iteration (`onGap: 'stop'`). */
  GAP: { gap: GapEvent };
  /** The message the policy stopped on; `handlerError` when `onRetry` threw (its own error is `cause`). */
  CONSUMER_STOPPED: { offset: number; epoch: string; attempts: number; handlerError?: unknown };
  /** The message whose dead-letter callback threw (`cause`), and the handler's last error. */
  DEAD_LETTER_FAILED: { offset: number; epoch: string; attempts: number; handlerError: unknown };
  CHECKPOINT_FAILED: undefined;
  CHECKPOINT_CORRUPT: undefined;
  /** The checkpoint file another writer changed. */
  CHECKPOINT_CONFLICT: { path: string };
  /** The checkpoint file, its lock file, and who holds it (`null`: an unreadable lock). */
  CHECKPOINT_LOCKED: { path: string; lockPath: string; holder: CheckpointLockHolder | null };
  ALREADY_CONSUMING: undefined;
  CLIENT_CLOSED: undefined;
  /** Why core stopped connecting, and the close that made it stop, if a socket closed. */
  CLIENT_STOPPED: {
    reason: 'terminal' | 'auth-failed' | 'max-attempts';
    closeCode: number | undefined;
    closeReason: string | undefined;
  };
  /** For an unknown key: the key, and the known key it is closest to. */
  BAD_OPTION: { key: string; suggestion?: string } | undefined;
}

/** The `details` of a {@link LifelineNodeError} of code `C`. */
export type LifelineNodeErrorDetails<C extends LifelineNodeErrorCode> = LifelineNodeErrorDetailsMap[C];

/**
 * A {@link LifelineNodeError} of code `C`, its `details` typed (what `isLifelineNodeError(e,
 * code)` narrows to). For a union of codes, a union of these: `switch (e.code)` narrows `details`.
 */
export type LifelineNodeErrorOf<C extends LifelineNodeErrorCode> = C extends LifelineNodeErrorCode
  ? LifelineNodeError & { readonly code: C } & (LifelineNodeErrorDetailsMap[C] extends undefined
        ? unknown
        : undefined extends LifelineNodeErrorDetailsMap[C]
          ? { readonly details?: LifelineNodeErrorDetailsMap[C] }
          : { readonly details: LifelineNodeErrorDetailsMap[C] })
  : never;

/** The error type of @lifeline/node: a code, the channel it concerns, and its cause. */
export class LifelineNodeError extends Error {
  override readonly name = 'LifelineNodeError';
  readonly code: LifelineNodeErrorCode;
  /** The channel it concerns, when it concerns one. */
  readonly channel?: string;
  /**
   * Extra facts (the gap, the failed message's position, attempts…); typed per code after
   * `isLifelineNodeError(e, code)` (see {@link LifelineNodeErrorDetailsMap}).
   */
  readonly details?: Record<string, unknown>;

  constructor(
    code: LifelineNodeErrorCode,
    message: string,
    extra: { cause?: unknown; channel?: string; details?: Record<string, unknown> } = {},
  ) {
    // `'cause' in`, not `!== undefined`: a handler that threw undefined has that as its cause.
    super(message, 'cause' in extra ? { cause: extra.cause } : undefined);
    this.code = code;
    if (extra.channel !== undefined) this.channel = extra.channel;
    if (extra.details !== undefined) this.details = extra.details;
  }
}

/**
 * Type guard for {@link LifelineNodeError}, optionally of one code: `isLifelineNodeError(e,
 * 'GAP')` narrows `e.code` to that code and types its `details` (`e.details.gap` is a
 * `GapEvent`, no cast). Without a code, `e.details` stays `Record<string, unknown>`.
 */
export function isLifelineNodeError(e: unknown): e is LifelineNodeError;
export function isLifelineNodeError<C extends LifelineNodeErrorCode>(e: unknown, code: C): e is LifelineNodeErrorOf<C>;
export function isLifelineNodeError(e: unknown, code?: LifelineNodeErrorCode): e is LifelineNodeError;
export function isLifelineNodeError(e: unknown, code?: LifelineNodeErrorCode): boolean {
  return e instanceof LifelineNodeError && (code === undefined || e.code === code);
}

/**
 * Throws `BAD_OPTION` unless `options` is an options object: `null` (a `JSON.parse`d
 * config, an unset variable) crashed on a property read with a raw `TypeError`, and a
 * string, number or array was silently read as "no options".
 */
export function checkOptionsObject(options: unknown, of: string): void {
  if (typeof options === 'object' && options !== null && !Array.isArray(options)) return;
  const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
  throw new LifelineNodeError('BAD_OPTION', `${of} options must be an object (got ${got})`);
}

/** A value as an option error shows it: a string quoted (`'false'` read as false), anything else as `String()` does. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) return 'an array';
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return json.length > 80 ? `${json.slice(0, 77)}...` : json;
    } catch {
      // A cycle or a throwing toJSON: its kind is enough.
    }
    return 'an object';
  }
  return String(value);
}
