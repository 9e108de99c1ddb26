import { StormError } from '../errors';

/** Appended when a value is refused only for how it is written. */
export const SPELLING_HINT = ' (plain decimal digits only)';

/**
 * What a number may look like on storm's command line and proxy console: plain decimal
 * digits, with a decimal part only where the value takes one. `Number()` also reads hex
 * (`0x10` = 16), binary, octal, exponents (`1e3`), `+80`, padded `" 80 "` and `.5`, so
 * `proxy --listen 0x10` listened on port 16.
 */
export function isPlainDecimal(text: string, fraction: boolean): boolean {
  return (fraction ? /^\d+(?:\.\d+)?$/ : /^\d+$/).test(text);
}

/**
 * The hint for a value refused for its spelling although `Number()` reads it as one the
 * flag takes (`0x10`, `1e3`, `" 80"`); none for a blank (`Number('')` is 0).
 */
export function spellingHint(text: string, takes: (n: number) => boolean): string {
  return text.trim() !== '' && takes(Number(text)) ? SPELLING_HINT : '';
}

/**
 * - `whole`: clients, channels, seed, workers (`1.5` clients would hang warm-up).
 * - `port`: a TCP port; 0 lets the system pick one.
 * - `rate`: a non-negative number, fractions allowed.
 * - `bytesPerSec`: bandwidth > 0 (0 would read as "unlimited"; `off` is handled by the caller).
 * - `signed`: a console argument whose range the proxy's setter checks (`latency -5` gets its message).
 */
export type NumberKind = 'whole' | 'port' | 'rate' | 'bytesPerSec' | 'signed';

interface Rule {
  written: (text: string) => boolean;
  /** What the value should be, said when its spelling is the only problem. */
  wants: string;
  /** Why a value `Number()` read is out of range (the message these flags always gave), or null. */
  problem: (n: number) => string | null;
}

const nonNegative = (n: number) => (Number.isFinite(n) && n >= 0 ? null : 'a non-negative number');
const whole = (n: number) => nonNegative(n) ?? (Number.isInteger(n) ? null : 'a whole number');

const RULES: Record<NumberKind, Rule> = {
  whole: { written: (t) => isPlainDecimal(t, false), wants: 'a whole number', problem: whole },
  port: {
    written: (t) => isPlainDecimal(t, false),
    wants: 'a port in [0, 65535]',
    problem: (n) => whole(n) ?? (n <= 65535 ? null : 'a port in [0, 65535]'),
  },
  rate: { written: (t) => isPlainDecimal(t, true), wants: 'a non-negative number', problem: nonNegative },
  bytesPerSec: {
    written: (t) => isPlainDecimal(t, true),
    wants: 'bytes/s > 0 or off',
    problem: (n) => nonNegative(n) ?? (n > 0 ? null : 'bytes/s > 0 or off'),
  },
  signed: {
    written: (t) => isPlainDecimal(t.replace(/^-/, ''), true),
    wants: 'a decimal number',
    problem: (n) => (Number.isFinite(n) ? null : 'a decimal number'),
  },
};

/**
 * The one parser of storm's numeric flags and console arguments. `name` is how the user
 * typed it (`--clients`, or `latency` on the proxy console). Throws `BAD_OPTION`
 * `<name> wants <what>, got "<text>"`, with {@link SPELLING_HINT} when only the spelling is wrong.
 */
export function parseNumber(name: string, text: string, kind: NumberKind): number {
  const rule = RULES[kind];
  const n = Number(text);
  const problem = rule.problem(n);
  if (problem === null && rule.written(text)) return n;
  const hint = spellingHint(text, (m) => rule.problem(m) === null);
  throw new StormError('BAD_OPTION', `${name} wants ${problem ?? rule.wants}, got "${text}"${hint}`);
}
