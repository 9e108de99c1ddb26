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

/** The error type of @lifeline/node: a code, the channel it concerns, and its cause. */
export class LifelineNodeError extends Error {
  override readonly name = 'LifelineNodeError';
  readonly code: LifelineNodeErrorCode;
  /** The channel it concerns, when it concerns one. */
  readonly channel?: string;
  /** Extra facts (the gap, the failed message's position, attempts…). */
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
 * 'GAP')` narrows `e.code` to that code.
 */
export function isLifelineNodeError<C extends LifelineNodeErrorCode = LifelineNodeErrorCode>(
  e: unknown,
  code?: C,
): e is LifelineNodeError & { readonly code: C } {
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
