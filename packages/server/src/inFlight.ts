/**
 * Requests in progress, per caller and in all: an HTTP answer built in memory stays there
 * until the peer has read it, so a caller that asks and never reads could otherwise pin
 * memory without bound, well within its rate bucket.
 */
export class InFlight {
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perKey: number,
    private readonly max: number,
  ) {}

  /** Takes a slot for `key`; false when the caller or the server holds all it may. */
  enter(key: string): boolean {
    const n = this.byKey.get(key) ?? 0;
    if (n >= this.perKey || this.total >= this.max) return false;
    this.byKey.set(key, n + 1);
    this.total++;
    return true;
  }

  /** Gives back a slot `enter(key)` took. */
  leave(key: string): void {
    const n = this.byKey.get(key) ?? 0;
    if (n <= 1) this.byKey.delete(key);
    else this.byKey.set(key, n - 1);
    this.total--;
  }

  /** Requests in progress in all. */
  get size(): number {
    return this.total;
  }
}
