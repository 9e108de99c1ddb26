/** Default bin width for attempt histograms, ms. */
export const DEFAULT_BIN_MS = 100;

/**
 * Counts attempts per `binMs` bin, starting at `fromMs` (the fault) and ending with
 * the bin of the last attempt. Attempts before `fromMs` are ignored.
 */
export function attemptBins(attemptTimesMs: readonly number[], fromMs: number, binMs = DEFAULT_BIN_MS): number[] {
  const bins: number[] = [];
  for (const t of attemptTimesMs) {
    if (t < fromMs) continue;
    const i = Math.floor((t - fromMs) / binMs);
    while (bins.length <= i) bins.push(0);
    bins[i]!++;
  }
  return bins;
}

/** The shortest span a wave's mean is taken over, ms: rates (and admission) are per second. */
export const MIN_MEAN_SPAN_MS = 1000;

export interface BurstStats {
  /** Largest bin. */
  peak: number;
  /**
   * Mean per bin from the fault (bin 0) to the last non-empty bin, over at least
   * `MIN_MEAN_SPAN_MS` (one second) of bins.
   */
  mean: number;
  /**
   * peak ÷ mean (1 = perfectly flat over a second or more); null when there were no
   * attempts (0 ÷ 0: it used to be 0, which reads as better than flat).
   */
  peakToMean: number | null;
  /** peak ÷ what the server admits in one bin (admissionRate × binMs / 1000); null without a rate, or with no attempts (as `peakToMean`). */
  peakOverCapacity: number | null;
  /** The peak bin as a rate: attempts per second (peak × 1000 / binMs). */
  peakPerSec: number;
}

/**
 * Burstiness of a reconnect wave: peak bin against the mean rate from the fault to
 * the last attempt. A fleet that waits a fixed delay and then stampedes scores high
 * (everything in one bin of a long window); a fleet spread evenly over the same
 * window scores 1.
 *
 * The mean is taken over at least one second of bins. Without that floor a fleet that
 * stampedes into a single bin (everyone back within the first 100 ms) has peak = mean
 * and scores 1, "perfectly flat", for the worst wave there is; with it, that stampede
 * scores 1000 / binMs (10 with 100 ms bins) and an even wave shorter than a second
 * scores 1 s ÷ its length. `peakPerSec` gives the absolute rate next to the shape.
 */
export function burstStats(bins: readonly number[], admissionRate: number | null, binMs = DEFAULT_BIN_MS): BurstStats {
  const first = 0;
  // No wave, no ratio against capacity either: 0 printed beside peak ÷ mean's n/a.
  if (!bins.some((b) => b > 0)) return { peak: 0, mean: 0, peakToMean: null, peakOverCapacity: null, peakPerSec: 0 };
  let last = bins.length - 1;
  while (bins[last] === 0) last--;
  let sum = 0;
  let peak = 0;
  for (let i = first; i <= last; i++) {
    sum += bins[i]!;
    peak = Math.max(peak, bins[i]!);
  }
  const mean = sum / Math.max(last - first + 1, Math.ceil(MIN_MEAN_SPAN_MS / binMs));
  const capacityPerBin = admissionRate && admissionRate > 0 ? (admissionRate * binMs) / 1000 : null;
  return {
    peak,
    mean,
    peakToMean: peak / mean,
    peakOverCapacity: capacityPerBin === null ? null : peak / capacityPerBin,
    peakPerSec: (peak * 1000) / binMs,
  };
}
