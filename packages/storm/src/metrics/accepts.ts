/** The server's accepted-handshake counter at one moment, since the fault. */
export interface AcceptSample {
  /** ms after the fault. */
  atMs: number;
  /** Handshakes accepted since the fault, every node. */
  total: number;
}

export interface AcceptStats {
  /** Handshakes accepted from the first sample to the last. */
  accepted: number;
  /** Most accepted in any 1 s window (0 when nothing was accepted). */
  peakPerSec: number;
}

/** The window the server's accept rate is measured over, ms. */
const WINDOW_MS = 1000;

/**
 * How fast the server accepted connections, from samples of its cumulative counter
 * (`samples` in time order). The window starts at each sample and ends at the last
 * sample within 1 s of it, so a peak is a count of real accepts in at most a second,
 * low by at most what one sampling interval held. When the next sample is more than a
 * second away (the sampling thread stalled), nothing can be placed inside that gap:
 * its accepts count at their mean rate over it.
 */
export function acceptStats(samples: readonly AcceptSample[]): AcceptStats {
  if (samples.length < 2) return { accepted: 0, peakPerSec: 0 };
  let peak = 0;
  let j = 0;
  for (let i = 0; i < samples.length - 1; i++) {
    const from = samples[i]!;
    j = Math.max(j, i);
    while (j + 1 < samples.length && samples[j + 1]!.atMs - from.atMs <= WINDOW_MS) j++;
    if (j > i) {
      peak = Math.max(peak, samples[j]!.total - from.total);
    } else {
      const next = samples[i + 1]!;
      peak = Math.max(peak, ((next.total - from.total) * WINDOW_MS) / (next.atMs - from.atMs));
    }
  }
  return { accepted: samples.at(-1)!.total - samples[0]!.total, peakPerSec: peak };
}
