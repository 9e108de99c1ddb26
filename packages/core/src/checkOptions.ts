import { LifelineError } from './errors';

/**
 * An option group with its defaults (the shared defaults object itself when the caller
 * set nothing). Throws BAD_ARGUMENT for an option whose type differs from its default's,
 * a number that is NaN or negative, a zero `initialDelayMs` or `checkIntervalMs`, or a
 * `factor` below 1: a NaN or 0 delay retried in a tight loop (a fleet doing that
 * stampedes the server). An unknown jitter, overflow or onClose value falls back to the
 * default behaviour ('full', 'reject', 'fail'), which is safe.
 */
export function withDefaults<T extends Record<string, unknown>>(defaults: T, given: Partial<T> | undefined): T {
  const o: Record<string, unknown> = given ? { ...defaults, ...given } : defaults;
  for (const k in defaults) {
    const v = o[k];
    if (typeof v !== typeof defaults[k] || (typeof v === 'number' && (!(v >= +(k === 'factor')) || (!v && /^(initialD|checkI)/.test(k))))) {
      throw new LifelineError('BAD_ARGUMENT', `option ${k}: ${String(v)}`);
    }
  }
  return o as T;
}
