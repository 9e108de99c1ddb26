/**
 * Time-to-reconnect percentiles over a fleet. `backAtMs[i]` is when client i was
 * last (re)connected, relative to the fault, 0 if it never dropped, or null if it
 * never came back. A percentile that needs a client that never came back is null.
 */
export interface ReconnectTimes {
  t50Ms: number | null;
  t99Ms: number | null;
  t100Ms: number | null;
  /** Clients that were not connected at the end. */
  notBack: number;
}

/** Nearest-rank percentile of the fleet's reconnect times (p in (0, 100]). */
export function percentileTime(backAtMs: readonly (number | null)[], p: number): number | null {
  if (backAtMs.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * backAtMs.length));
  const sorted = backAtMs.map((t) => (t === null ? Infinity : Math.max(0, t))).sort((a, b) => a - b);
  const v = sorted[rank - 1]!;
  return Number.isFinite(v) ? v : null;
}

export function reconnectTimes(backAtMs: readonly (number | null)[]): ReconnectTimes {
  return {
    t50Ms: percentileTime(backAtMs, 50),
    t99Ms: percentileTime(backAtMs, 99),
    t100Ms: percentileTime(backAtMs, 100),
    notBack: backAtMs.filter((t) => t === null).length,
  };
}
