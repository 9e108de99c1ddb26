// Outside src/cli/ because the library's parseSchedule takes these values too (see number.ts).
import { StormError } from '../errors';
import { latencyProblem } from '../proxy/latencyRule';
import { isPlainDecimal, spellingHint } from './number';

/** Splits `500ms` into `500` and `ms`; without a unit, `digits` is the whole text. */
function splitUnit(text: string): { digits: string; unit: string | undefined } {
  const unit = /(ms|s|m)$/.exec(text)?.[1];
  return { digits: unit === undefined ? text : text.slice(0, -unit.length), unit };
}

/**
 * `30s`, `500ms`, `2m` or a bare number of `bareUnit` (seconds unless said) into whole ms.
 * The number is written as every numeric flag's ({@link isPlainDecimal}): `" 30s"` used to
 * be trimmed to 30 s. `name` is how the user typed it (`--duration`, or `latency` on the
 * proxy console); `wants` what the refusal says it takes.
 */
function durationMs(name: string, text: string, wants: string, bareUnit: 's' | 'ms' = 's'): number {
  const { digits, unit = bareUnit } = splitUnit(text);
  if (!isPlainDecimal(digits, true)) {
    const hint = spellingHint(splitUnit(text.trim()).digits, (n) => Number.isFinite(n) && n >= 0);
    throw new StormError('BAD_OPTION', `${name} wants ${wants}, got "${text}"${hint}`);
  }
  const n = Number(digits);
  return Math.round(unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000);
}

/** Parses a scenario duration flag (`--duration 30s`; a bare number is seconds) into ms. */
export function parseDuration(flag: string, text: string): number {
  return durationMs(`--${flag}`, text, 'a duration like 30s or 500ms', 's');
}

/**
 * The one parser of a proxy latency, for `proxy --latency`, the console's `latency` (which
 * wanted a bare decimal and refused `latency 1s` that the flag took) and a schedule's
 * `latency=` step (which wanted digits and refused `5:latency=1s`): a bare
 * number is ms (decimals rounded to whole ms), `500ms`, `1s`, `2m` work too, and the
 * result is held to the proxy's rule ({@link latencyProblem}). `name` as typed.
 */
export function parseLatency(name: string, text: string): number {
  const bad = (ms: number) => {
    const problem = latencyProblem(ms);
    if (problem) throw new StormError('BAD_OPTION', problem.replace(/^latency/, name));
  };
  // `-5` gets the range's message (`latency must be ≥ 0 ms`), not a spelling one.
  if (/^-/.test(text) && isPlainDecimal(text.slice(1), true)) bad(-Number(text.slice(1)));
  const ms = durationMs(name, text, 'ms or a duration like 200, 500ms or 1s', 'ms');
  bad(ms);
  return ms;
}

/**
 * A schedule step's time (the `5s` of `5s:cut`): as a latency, a bare number is ms
 * (decimals rounded to whole ms), `500ms`, `5s` and `2m` work too. Its upper bound
 * (Node's longest timer) is the step check's (`checkSteps`). `name` as the refusal says it.
 */
export function parseStepTime(name: string, text: string): number {
  return durationMs(name, text, 'ms or a duration like 500, 500ms or 2s', 'ms');
}
