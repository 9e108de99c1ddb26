/** Machine-readable codes of {@link StormError}. */
export type StormErrorCode =
  | 'BAD_OPTION' // a CLI flag or option is missing, unknown or out of range
  | 'NON_LOOPBACK' // storm and chaos traffic may only target loopback addresses
  | 'UNSUPPORTED_SCENARIO' // the scenario needs something the target cannot do
  | 'DEPENDENCY_MISSING' // e.g. the Redis broker or the core client is not available
  | 'INTERRUPTED' // the run was stopped (AbortSignal; the CLI's SIGINT/SIGTERM) and cleaned up
  | 'FILE_LIMIT' // the open-file limit (ulimit -n) is too low for the run's sockets: refused before it starts, or a process ran out (EMFILE) during it
  | 'RUN_FAILED' // the run could not complete (server would not start, clients never connected…)
  | 'OUTPUT_FAILED'; // the run finished but its --json / --report file could not be written (the CLI prints it on stdout instead)

/** The one error type of @lifeline/storm: a code, a message and an optional cause. */
export class StormError extends Error {
  override readonly name = 'StormError';
  readonly code: StormErrorCode;
  constructor(code: StormErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Type guard for {@link StormError}, optionally of one code. */
export function isStormError(e: unknown, code?: StormErrorCode): e is StormError {
  return e instanceof StormError && (code === undefined || e.code === code);
}
