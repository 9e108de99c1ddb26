import type { Clock } from './clock';
import type { Logger } from './options';

/** How often the counts are said (while there are any), ms of the server clock. */
export const OPS_LOG_INTERVAL_MS = 10_000;

/** Heartbeat terminations logged one by one (with their session id) per interval; the rest are counted. */
export const HEARTBEAT_LINES_PER_INTERVAL = 5;

/**
 * Why a connection or request was refused, as counted in the summary line. Token contents
 * are never logged, only which check failed.
 */
export type RefusalCause =
  | 'bad-token' // close 4100
  | 'expired-token' // close 4101
  | 'origin' // close 4001
  | 'abuse' // close 4201
  | 'rate-limited' // RATE_LIMITED error frame (publish, presence, auth)
  | 'admission' // HTTP 503 on upgrade: maxHandshakesPerSec
  | 'max-connections' // HTTP 503 on upgrade: maxConnections
  | 'draining' // HTTP 503 on upgrade while draining
  | 'http-bad-token' // HTTP 401
  | 'http-expired-token' // HTTP 401, token expired
  | 'http-origin' // HTTP 403, origin not allowed
  | 'http-rate-limited'; // HTTP 429

/** Causes that point at a misconfiguration or an attack rather than load: said as a warning. */
const WARN_CAUSES: ReadonlySet<RefusalCause> = new Set<RefusalCause>([
  'bad-token', 'expired-token', 'origin', 'abuse', 'http-bad-token', 'http-expired-token', 'http-origin',
]);

/**
 * Operator log lines for events that come in crowds: refusals and heartbeat terminations
 * are counted and said once per {@link OPS_LOG_INTERVAL_MS}, not once each. A node with
 * the wrong secret refused every client without a trace, while 1,000 stalled clients
 * wrote 1,000 "heartbeat timeout" lines in a second.
 *
 * Memory is bounded by the fixed set of causes. The timer runs on the server clock only
 * while something is counted; {@link stop} says what is left and clears it.
 */
export class OpsLog {
  private readonly refused = new Map<RefusalCause, number>();
  private heartbeatLogged = 0;
  private heartbeatMore = 0;
  /** Accept failures of this interval (the first one said at once), by errno code. */
  private readonly acceptFailures = new Map<string, number>();
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = OPS_LOG_INTERVAL_MS,
  ) {}

  /** Counts one refusal. */
  refusal(cause: RefusalCause): void {
    if (this.stopped) return;
    this.refused.set(cause, (this.refused.get(cause) ?? 0) + 1);
    this.arm();
  }

  /** A session silent for two heartbeats is being terminated: the first few of an interval by id, the rest counted. */
  heartbeatTimeout(sessionId: string): void {
    if (this.stopped) return;
    if (this.heartbeatLogged < HEARTBEAT_LINES_PER_INTERVAL) {
      this.heartbeatLogged++;
      this.logger.info('heartbeat timeout: terminating', { session: sessionId });
    } else {
      this.heartbeatMore++;
    }
    this.arm();
  }

  /**
   * The listening socket failed to accept a connection (Node's `'error'` with syscall
   * `accept`): the first of an interval is said at once, as an error, the rest counted and
   * said together. Out of file descriptors (EMFILE: this process's `ulimit -n`; ENFILE: the
   * system's) every waiting client fails the same way, and a line each flooded the log.
   */
  acceptFailed(code: string): void {
    if (this.stopped) return;
    const first = this.acceptFailures.size === 0;
    this.acceptFailures.set(code, (this.acceptFailures.get(code) ?? 0) + 1);
    if (first) this.logger.error(acceptFailedLine(code, 1, 0), { code });
    this.arm();
  }

  /** Says what was counted and starts a new interval. */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const seconds = Math.round(this.intervalMs / 1000);
    if (this.refused.size > 0) {
      const counts = [...this.refused].sort((a, b) => b[1] - a[1]);
      const text = counts.map(([cause, n]) => `${n} ${cause}`).join(', ');
      const warn = counts.some(([cause]) => WARN_CAUSES.has(cause));
      const line = `refused in the last ${seconds} s: ${text}`;
      const meta = { refused: Object.fromEntries(counts) };
      if (warn) this.logger.warn(line, meta);
      else this.logger.info(line, meta);
    }
    if (this.heartbeatMore > 0) {
      this.logger.info(
        `heartbeat timeout: terminated ${this.heartbeatMore} more session(s) in the last ${seconds} s (the first ${this.heartbeatLogged} by id above)`,
        { terminated: this.heartbeatLogged + this.heartbeatMore },
      );
    }
    const failures = [...this.acceptFailures].reduce((n, [, k]) => n + k, 0);
    // The first one was said when it came; only more of them make another line.
    if (failures > 1) {
      const [code] = [...this.acceptFailures].sort((a, b) => b[1] - a[1])[0]!;
      this.logger.error(acceptFailedLine(code, failures, seconds), { failures: Object.fromEntries(this.acceptFailures) });
    }
    this.acceptFailures.clear();
    this.refused.clear();
    this.heartbeatLogged = 0;
    this.heartbeatMore = 0;
  }

  /** Says what is left (a node shutting down after refusing keeps the trace) and stops counting. */
  stop(): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
  }

  private arm(): void {
    if (this.timer === undefined) this.timer = this.clock.setTimeout(() => this.flush(), this.intervalMs);
  }
}

/** One line for accept failures: the first as it comes (`seconds` 0), else the count of an interval. */
function acceptFailedLine(code: string, n: number, seconds: number): string {
  const what = code === 'EMFILE' || code === 'ENFILE'
    ? `out of file descriptors (${code}): raise the limit (ulimit -n, LimitNOFILE) or cap connections (--max-connections)`
    : `(${code})`;
  const when = seconds === 0 ? '' : ` ${n} times in the last ${seconds} s`;
  return `cannot accept connections${when}: ${what}; clients are being dropped`;
}

/** Replay evictions logged one by one (with their session id) per interval; the rest are counted. */
export const EVICTION_LINES_PER_INTERVAL = 5;

/**
 * Lines for connections closed because their replays held the node's replay byte budget
 * full while other replays waited (replayBudget.ts). A crowd of clients that never read
 * would be evicted one after another: the first {@link EVICTION_LINES_PER_INTERVAL} of an
 * interval are said by id, the rest counted and said together when the next interval's
 * first one comes or the line of waiting replays empties ({@link flush}). No timer of its
 * own: the budget's check runs it.
 */
export class ReplayEvictionLines {
  private intervalStart = -Infinity;
  private logged = 0;
  private more = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = OPS_LOG_INTERVAL_MS,
  ) {}

  /** One connection evicted: it held `bytes` and handed none to the kernel for `stalledMs`. */
  evicted(sessionId: string, bytes: number, stalledMs: number): void {
    const now = this.clock.now();
    if (now - this.intervalStart >= this.intervalMs) {
      this.flush();
      this.intervalStart = now;
    }
    if (this.logged < EVICTION_LINES_PER_INTERVAL) {
      this.logged++;
      this.logger.warn('replay stalled: closing (1013) the connection holding the most of maxReplayBytes while other replays wait', {
        session: sessionId,
        bytes,
        stalledMs,
      });
    } else {
      this.more++;
    }
  }

  /** Says how many more were evicted than were said by id, and starts a new interval. */
  flush(): void {
    if (this.more > 0) {
      this.logger.warn(
        `replay stalled: closed ${this.more} more connection(s) holding maxReplayBytes without reading (the first ${this.logged} by id above)`,
        { evicted: this.logged + this.more },
      );
    }
    this.logged = 0;
    this.more = 0;
    this.intervalStart = -Infinity;
  }
}
