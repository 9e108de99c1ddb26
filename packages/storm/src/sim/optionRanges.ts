/**
 * The accepted range of each numeric run option, and the words for it. One table for the
 * check ({@link resolveOptions}) and for the CLI's refusal of a value it cannot read, so
 * the two cannot disagree: `--publish-rate 1001` used to be told "must be in [0, 1000]"
 * although 0 is refused, and `--clients abc` "wants a non-negative number" although 0 is.
 */
export interface NumberRange {
  min: number;
  /** `min` itself refused (`> min`), e.g. a publish rate of 0. */
  minExclusive?: boolean;
  max: number;
  /** Whole numbers only (counts, seeds). */
  whole?: boolean;
}

export const OPTION_RANGES = {
  clients: { min: 1, max: 100_000, whole: true },
  channels: { min: 1, max: 100, whole: true },
  seed: { min: 0, max: 2 ** 32 - 1, whole: true },
  workers: { min: 0, max: 16, whole: true },
  publishRate: { min: 0, minExclusive: true, max: 1000 },
  admissionRate: { min: 1, max: Number.MAX_SAFE_INTEGER },
} satisfies Record<string, NumberRange>;

/** Whether `n` is in `r`. */
export function inRange(n: number, r: NumberRange): boolean {
  return Number.isFinite(n) && (r.minExclusive ? n > r.min : n >= r.min) && n <= r.max && (!r.whole || Number.isInteger(n));
}

/** `a whole number in [1, 100000]`, `a number > 0 and <= 1000`. */
export function rangeText(r: NumberRange): string {
  const what = r.whole ? 'a whole number' : 'a number';
  return r.minExclusive ? `${what} > ${r.min} and <= ${r.max}` : `${what} in [${r.min}, ${r.max}]`;
}
