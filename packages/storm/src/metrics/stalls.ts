import type { Stall } from '../sim/stallLog';

/** A stall of one client process, in ms from the fault. */
export interface ProcessStall extends Stall {
  process: number;
}

/**
 * What the client processes' stalls say about the peak bin: how many stalls there were
 * after the fault, the longest, and whether one ended within `binMs` before the peak
 * bin's end (timers due during it fired together into that bin) — so a reader can tell
 * a spike the fleet made from one the simulator's machine made.
 *
 * @param peakBin index of the peak bin (bins of `binMs` from the fault); -1 when there
 *   were no attempts
 * @param who what stalled, for the sentence; default 'client-process'
 * @param minMs the shortest stall recorded (StallLog's threshold); default 50
 */
export function stallNote(stalls: readonly ProcessStall[], peakBin: number, binMs: number, who = 'client-process', minMs = 50): string {
  if (stalls.length === 0) return `no ${who} stall ≥ ${minMs} ms after the fault`;
  const longest = stalls.reduce((a, b) => (b.ms > a.ms ? b : a));
  const head = `${stalls.length} ${who} stall(s) ≥ ${minMs} ms after the fault, longest ${longest.ms} ms at +${longest.atMs} ms (process ${longest.process})`;
  if (peakBin < 0) return head;
  const binStart = peakBin * binMs;
  const binEnd = binStart + binMs;
  // A stall releases its timers when it ends: it feeds the peak bin if it ends inside it,
  // or (the batch spilling over a boundary) within one bin before it.
  const feeding = stalls.filter((s) => s.atMs + s.ms > binStart - binMs && s.atMs + s.ms < binEnd);
  if (feeding.length === 0) return `${head}; none ended just before or inside the peak bin (+${binStart} ms)`;
  const worst = feeding.reduce((a, b) => (b.ms > a.ms ? b : a));
  return `${head}; the peak bin (+${binStart} ms) follows a ${worst.ms} ms stall of process ${worst.process} that ended at +${worst.atMs + worst.ms} ms`;
}
