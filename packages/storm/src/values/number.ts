// Outside src/cli/ because the library's parseSchedule takes these values too, in the
// same words as the flags and the proxy console (the layering test keeps cli/ a leaf).
import { StormError } from '../errors';
import { inRange, rangeText, type NumberRange } from '../sim/optionRanges';

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
 * - `port`: a TCP port; 0 lets the system pick one.
 * - `bytesPerSec`: bandwidth > 0 (0 would read as "unlimited"; `off` is handled by the caller).
 * - `bytes`: a whole number of bytes > 0 (the proxy's `--queue-bytes`).
 * - `signed`: a console argument whose range the proxy's setter checks (`cut -1` gets its message).
 * Run options (clients, rates, seed …) go through {@link parseRanged} with their range.
 */
export type NumberKind = 'port' | 'bytesPerSec' | 'bytes' | 'signed';

interface Rule {
  written: (text: string) => boolean;
  /** What the value should be: said whenever it is refused, so it is the whole rule. */
  wants: string;
  takes: (n: number) => boolean;
}

const RULES: Record<NumberKind, Rule> = {
  port: { written: (t) => isPlainDecimal(t, false), wants: 'a port in [0, 65535]', takes: (n) => Number.isInteger(n) && n >= 0 && n <= 65535 },
  bytesPerSec: { written: (t) => isPlainDecimal(t, true), wants: 'bytes/s > 0 or off', takes: (n) => Number.isFinite(n) && n > 0 },
  bytes: { written: (t) => isPlainDecimal(t, false), wants: 'a whole number of bytes > 0', takes: (n) => Number.isSafeInteger(n) && n > 0 },
  signed: {
    written: (t) => isPlainDecimal(t.replace(/^-/, ''), true),
    wants: 'a decimal number',
    takes: Number.isFinite,
  },
};

/**
 * The one parser of storm's numeric flags and console arguments. `name` is how the user
 * typed it (`--listen`, or `bandwidth` on the proxy console). Throws `BAD_OPTION`
 * `<name> wants <what>, got "<text>"`, with {@link SPELLING_HINT} when only the spelling is wrong.
 */
export function parseNumber(name: string, text: string, kind: NumberKind): number {
  const rule = RULES[kind];
  const n = Number(text);
  if (rule.takes(n) && rule.written(text)) return n;
  throw new StormError('BAD_OPTION', `${name} wants ${rule.wants}, got "${text}"${spellingHint(text, rule.takes)}`);
}

/**
 * A run option's number (`--clients`, `--publish-rate` …) as written: one it cannot read
 * is refused naming the option's real range (`--clients abc` was told "a non-negative
 * number", though 0 is refused too). A number outside the range is returned: the options'
 * check refuses it, echoing the digits typed (`withFlagNames`).
 */
export function parseRanged(name: string, text: string, range: NumberRange): number {
  const n = Number(text);
  if (Number.isFinite(n) && isPlainDecimal(text, !range.whole)) return n;
  throw new StormError('BAD_OPTION', `${name} wants ${rangeText(range)}, got "${text}"${spellingHint(text, (m) => inRange(m, range))}`);
}
