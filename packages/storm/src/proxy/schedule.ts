import { StormError } from '../errors';
import { MAX_TIMER_MS, MAX_TIMER_TEXT } from '../timerLimit';
import type { ChaosProxy } from './chaosProxy';
import { latencyProblem } from './latencyRule';
import { parseLatency, parseStepTime } from '../values/duration';
import { parseNumber } from '../values/number';

/**
 * One timed chaos action, `atMs` after the schedule starts (0 to 2^31−1 ms: Node's
 * longest timer; a later step is a `BAD_OPTION`).
 * - `cut`: reset every connection
 * - `blackhole` / `restore`: start / end half-open mode
 * - `latency`: set one-way latency to `value` ms
 * - `bandwidth`: set the cap to `value` bytes/s (`null` lifts it)
 */
export type ChaosStep =
  | { atMs: number; action: 'cut' | 'blackhole' | 'restore' }
  | { atMs: number; action: 'latency'; value: number }
  | { atMs: number; action: 'bandwidth'; value: number | null };

/** Applies one step to the proxy now. */
export function applyStep(proxy: Pick<ChaosProxy, 'cut' | 'blackhole' | 'restore' | 'setLatency' | 'setBandwidth'>, step: ChaosStep): void {
  switch (step.action) {
    case 'cut':
      proxy.cut();
      return;
    case 'blackhole':
      proxy.blackhole();
      return;
    case 'restore':
      proxy.restore();
      return;
    case 'latency':
      proxy.setLatency(step.value);
      return;
    case 'bandwidth':
      proxy.setBandwidth(step.value);
      return;
    default:
      throw new StormError('BAD_OPTION', `unknown chaos action ${(step as { action: string }).action}`);
  }
}

/**
 * Checks every step up front (time, action and value, with the same rules as the
 * proxy's setters), so a bad step is a `BAD_OPTION` at the call and never a throw
 * later inside a timer. Throws on the first bad step.
 */
export function checkSteps(steps: readonly ChaosStep[]): void {
  for (const s of steps) {
    if (!(s.atMs >= 0)) throw new StormError('BAD_OPTION', `schedule step at ${s.atMs} ms: atMs must be ≥ 0`);
    // Node fires a longer timer after 1 ms: a step meant for next month ran at once.
    if (s.atMs > MAX_TIMER_MS) throw new StormError('BAD_OPTION', `schedule step at ${s.atMs} ms: atMs must be at most ${MAX_TIMER_TEXT}`);
    switch (s.action) {
      case 'cut':
      case 'blackhole':
      case 'restore':
        break;
      case 'latency':
        {
          const bad = latencyProblem(s.value);
          if (bad) throw new StormError('BAD_OPTION', `schedule step at ${s.atMs} ms: ${bad}`);
        }
        break;
      case 'bandwidth':
        if (s.value !== null && !(typeof s.value === 'number' && s.value > 0)) {
          throw new StormError('BAD_OPTION', `schedule step at ${s.atMs} ms: bandwidth must be > 0 bytes/s or off, got ${s.value}`);
        }
        break;
      default:
        throw new StormError('BAD_OPTION', `schedule step at ${(s as { atMs: number }).atMs} ms: unknown chaos action ${(s as { action: string }).action}`);
    }
  }
}

/** Runs steps on timers; returns a cancel function for the steps not yet run. */
export function runSchedule(
  proxy: Pick<ChaosProxy, 'cut' | 'blackhole' | 'restore' | 'setLatency' | 'setBandwidth'>,
  steps: ChaosStep[],
  timers: { setTimeout: (cb: () => void, ms: number) => unknown; clearTimeout: (h: unknown) => void } = {
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  },
): () => void {
  checkSteps(steps);
  const handles = steps.map((s) => timers.setTimeout(() => applyStep(proxy, s), s.atMs));
  return () => handles.forEach((h) => timers.clearTimeout(h));
}

/** Runs a value parser, its refusal prefixed with the step it is in. */
function inStep<T>(part: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof StormError) throw new StormError(e.code, `schedule step "${part}": ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Parses a compact schedule string: `"500:cut,1000:latency=200,3s:blackhole,4s:restore"`.
 * A step's time, and a `latency=` value, take what `proxy --latency` takes (a bare number
 * is ms; `500ms`, `1s`, `2m`); a `bandwidth=` value what `--bandwidth` takes (bytes/s, or
 * `off`). The values go through the flags' parsers, so a refusal is in their words, after
 * the step: `schedule step "5:latency=1h": latency wants ms or a duration like 200, 500ms or 1s, got "1h"`.
 */
export function parseSchedule(text: string): ChaosStep[] {
  const steps: ChaosStep[] = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([^:=]+):([a-z]+)(?:=(.*))?$/.exec(part);
      if (!m) throw new StormError('BAD_OPTION', `bad schedule step "${part}" (want e.g. 500:cut or 1000:latency=200)`);
      const atMs = inStep(part, () => parseStepTime('time', m[1]!));
      const action = m[2]!;
      const raw = m[3];
      if (action === 'cut' || action === 'blackhole' || action === 'restore') {
        // `100:cut=1` used to run as `100:cut`, the value silently dropped.
        if (raw !== undefined) throw new StormError('BAD_OPTION', `schedule step "${part}": ${action} takes no value (write ${atMs}:${action})`);
        return { atMs, action };
      }
      if (action === 'latency') {
        // `1000:latency` silently set 0 ms: a value forgotten, not a meaning.
        if (raw === undefined) throw new StormError('BAD_OPTION', `schedule step "${part}": latency needs a value (write ${atMs}:latency=MS, e.g. ${atMs}:latency=200)`);
        return { atMs, action, value: inStep(part, () => parseLatency('latency', raw)) };
      }
      if (action === 'bandwidth') {
        // `1000:bandwidth` silently lifted the cap: a value forgotten (the cap meant) as likely as `off`.
        if (raw === undefined) throw new StormError('BAD_OPTION', `schedule step "${part}": bandwidth needs a value (write ${atMs}:bandwidth=BYTES_PER_S, or ${atMs}:bandwidth=off to lift the cap)`);
        return { atMs, action, value: raw === 'off' ? null : inStep(part, () => parseNumber('bandwidth', raw, 'bytesPerSec')) };
      }
      throw new StormError('BAD_OPTION', `unknown chaos action "${action}" in "${part}"`);
    });
  checkSteps(steps);
  return steps;
}
