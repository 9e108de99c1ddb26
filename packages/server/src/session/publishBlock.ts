/** How long after its retry was due a block lapses, in case the client gave up on that publish. */
export const BLOCK_GRACE_MS = 5000;
/**
 * Ids a block remembers as refused behind it (and, apart, as done with through it). What
 * a client has in flight when one publish is refused is at most a burst (200 at the
 * default limits), and a rate-limited flood is closed at 1,000 refusals anyway; the cap
 * keeps a broker outage (whose refusals are not counted) from growing it without bound.
 * Past it a publish is still refused, but not remembered: order is kept for the first
 * 1,000 refused behind one block.
 */
export const MAX_BLOCKED_IDS = 1000;
/**
 * retryAfterMs behind a block whose publish is due and has not come back: the least,
 * when it just fell due (its re-send is likely on the way), doubling with how long it is
 * overdue up to the most (the client may have given up on it; a block lapses only after
 * `BLOCK_GRACE_MS`, and retrying every few milliseconds until then would only flood).
 */
export const BLOCKED_RETRY_MIN_MS = 10;
export const BLOCKED_RETRY_MAX_MS = 1000;

export type BlockCode = 'RATE_LIMITED' | 'BROKER_UNAVAILABLE';

/**
 * A publish refused with a retryable code (RATE_LIMITED, BROKER_UNAVAILABLE): the
 * client sends it again with the same id. Until it is stored, later publishes of the
 * same session on the same channel are refused the same way, so they cannot be stored
 * ahead of it: one publisher's messages land in the log in publish order.
 *
 * Those refused behind it were in publish order too, and their refusals may still be on
 * the way when the blocked one comes back: the block remembers them, in the order they
 * came, and once the blocked one is stored it holds the channel for the first of them,
 * then the next, until none is left. Otherwise a publish sent after the retry would be
 * stored ahead of one refused behind the block whose refusal had not yet reached the
 * client.
 *
 * A client may give up on a publish (its own deadline): the block then gives up on it
 * `BLOCK_GRACE_MS` after it fell due, and on it only: those refused behind it are still
 * being re-sent in order, so the block moves on to the first of them, which lapses in turn
 * only if it too is that long overdue. The given-up publish, should it come back, is a late
 * publish: stored as it comes, neither waiting for the block nor holding it.
 */
export class PublishBlock {
  /** The publish that must be stored next. */
  id: string;
  code: BlockCode;
  /** When that publish may be retried. */
  retryAt: number;
  /** Refused behind `id`, in arrival order → when each was told to come back. */
  private readonly behind = new Map<string, number>();
  /** Done with through this block (mostly stored), latest last: a copy re-sent is not waited for. */
  private readonly done = new Set<string>();
  /** Given up on through this block (lapsed), latest last: let through when they come back late. */
  private readonly gaveUp = new Set<string>();

  constructor(id: string, code: BlockCode, retryAt: number) {
    this.id = id;
    this.code = code;
    this.retryAt = retryAt;
  }

  /** The client may have given up on `id`: its retry was due `BLOCK_GRACE_MS` ago. */
  lapsed(now: number): boolean {
    return now >= this.retryAt + BLOCK_GRACE_MS;
  }

  /**
   * Gives up on the awaited publish if it lapsed, and on each next one in line that has
   * lapsed by `now` as well: the first still in time is awaited next, due when it was last
   * told to come back (not `now`: a client that gave up on a run of publishes must not
   * wait out a grace for each). False when none is left: the block is over.
   */
  dropLapsed(now: number): boolean {
    while (this.lapsed(now)) {
      remember(this.gaveUp, this.id);
      const first = this.behind.entries().next();
      if (first.done) return false;
      const [id, retryAt] = first.value;
      this.behind.delete(id);
      this.id = id;
      this.retryAt = retryAt;
    }
    return true;
  }

  /** `id` was awaited by this block and given up on when it lapsed. */
  gaveUpOn(id: string): boolean {
    return this.gaveUp.has(id);
  }

  /** retryAfterMs for a publish refused behind the block. */
  retryAfterMs(now: number): number {
    const left = this.retryAt - now;
    if (left > 0) return left;
    return Math.min(BLOCKED_RETRY_MAX_MS, Math.max(BLOCKED_RETRY_MIN_MS, -left));
  }

  /** `id` was refused behind the block and told to come back at `retryAt`. */
  refuseBehind(id: string, retryAt: number): void {
    if (id === this.id || this.done.has(id) || this.gaveUp.has(id)) return;
    // Map.set on a known id keeps its place: a publish re-sent too early stays where it was.
    if (this.behind.has(id) || this.behind.size < MAX_BLOCKED_IDS) this.behind.set(id, retryAt);
  }

  /** The blocked publish was refused again. */
  refuseAgain(code: BlockCode, retryAt: number): void {
    this.code = code;
    this.retryAt = retryAt;
  }

  /**
   * The blocked publish is done with (stored, or refused for good): the first refused
   * behind it is blocked on next, due when it was told to come back (or now). False when
   * none was: the block is over.
   */
  next(now: number): boolean {
    remember(this.done, this.id);
    const first = this.behind.entries().next();
    if (first.done) return false;
    const [id, retryAt] = first.value;
    this.behind.delete(id);
    this.id = id;
    this.retryAt = Math.max(now, retryAt);
    return true;
  }
}

/** Adds `id` to `ids`, forgetting the oldest past `MAX_BLOCKED_IDS`. */
function remember(ids: Set<string>, id: string): void {
  ids.add(id);
  if (ids.size > MAX_BLOCKED_IDS) ids.delete(ids.values().next().value as string);
}
