import { LifelineError } from './errors';

/**
 * Throws BAD_ARGUMENT for an option (defaults merged in) whose type differs from its
 * default's, a number that is NaN or negative, a zero `initialDelayMs` or
 * `checkIntervalMs`, or a `factor` below 1: a NaN or 0 delay retried in a tight loop (a
 * fleet doing that stampedes the server). An unknown jitter, overflow or onClose value
 * falls back to the default behaviour ('full', 'reject', 'fail'), which is safe.
 */
export function checkOptions(options: Record<string, unknown>, defaults: Record<string, unknown>): void {
  for (const k in defaults) {
    const v = options[k];
    if (typeof v !== typeof defaults[k] || (typeof v === 'number' && (!(v >= +(k === 'factor')) || (!v && /^(initialD|checkI)/.test(k))))) {
      throw new LifelineError('BAD_ARGUMENT', `option ${k}: ${String(v)}`);
    }
  }
}
