// The brokers' numeric options share one contract (a RangeError naming the broker, the
// option, what it takes and what it got), so one checker words it for both.

/** What a numeric option accepts. */
export interface NumericRule {
  /** The least value, accepted unless {@link NumericRule.aboveMin}. */
  min: number;
  /** Only values greater than `min` (e.g. a TTL that may be a fraction of a ms but not 0). */
  aboveMin?: boolean;
  /** Whole numbers only. */
  integer: boolean;
  /** `Infinity` accepted (read as "no limit" / "never"). */
  infinite: boolean;
  /** The greatest finite value, when there is one. */
  max?: number;
}

/** A count of things: an integer from 1 to `Number.MAX_SAFE_INTEGER` (past it a number is no longer an exact integer). */
export const COUNT_RULE: NumericRule = { min: 1, integer: true, infinite: false, max: Number.MAX_SAFE_INTEGER };

/**
 * Returns `value` when `rule` accepts it, else throws a RangeError
 * `<owner>: <name> must be <what rule accepts>, got <value>` (a non-number, `NaN` included, never passes).
 */
export function checkNumeric(owner: string, name: string, value: unknown, rule: NumericRule): number {
  const ok = typeof value === 'number'
    && (rule.aboveMin ? value > rule.min : value >= rule.min)
    && (value === Infinity ? rule.infinite : value <= (rule.max ?? Infinity) && (!rule.integer || Number.isInteger(value)));
  if (!ok) throw new RangeError(`${owner}: ${name} must be ${describe(rule)}, got ${String(value)}`);
  return value;
}

function describe(rule: NumericRule): string {
  const bound = rule.aboveMin ? `> ${rule.min}` : `>= ${rule.min}`;
  return [
    rule.integer ? 'an integer' : 'a number',
    rule.max === undefined ? bound : rule.aboveMin ? `${bound} and <= ${rule.max}` : `from ${rule.min} to ${rule.max}`,
    rule.infinite ? 'or Infinity' : '',
  ].filter(Boolean).join(' ');
}
