import { StormError, isStormError } from '../errors';

/** Option names of StormOptions as the CLI spells them (the checks speak in option names). */
const FLAGS: Record<string, string> = {
  clients: '--clients',
  channels: '--channels',
  publishRate: '--publish-rate',
  admissionRate: '--admission-rate',
  seed: '--seed',
  durationMs: '--duration',
  downMs: '--down',
  initialDelayMs: '--initial-delay',
  maxDelayMs: '--max-delay',
  heartbeatMs: '--heartbeat',
  workers: '--workers',
  client: '--client',
  broker: '--broker',
  strategy: '--strategy',
  target: '--target',
  token: '--token',
};

/**
 * Runs a check of the options and rewrites its BAD_OPTION so it names the flag the user
 * typed (`--duration must be …`), not the option behind it (`durationMs must be …`);
 * durations are said in ms, as the check counts them. `typed`: the text given for a
 * (non-duration) option, echoed as the value instead of the number it parsed to:
 * `--seed 99999999999999999999` was refused as `got 100000000000000000000` (a number past
 * 2^53 − 1 is not held exactly), which is not what the user typed.
 */
export function withFlagNames<T>(check: () => T, typed: Record<string, string | undefined> = {}): T {
  try {
    return check();
  } catch (e) {
    if (!isStormError(e) || e.code !== 'BAD_OPTION') throw e;
    const m = /^(\w+) (must .*)$/.exec(e.message);
    const flag = m && FLAGS[m[1]!];
    if (!flag) throw e;
    // Another option named in the reason (`downMs must be shorter than durationMs`) by its flag too.
    let reason = m[2]!.replace(/\b[a-z]+[A-Z]\w*\b/g, (name) => FLAGS[name] ?? name);
    const text = typed[m[1]!];
    // Only the value the check echoed for this option (`got N`, N being what `text` parsed to).
    if (text !== undefined) reason = reason.replace(/, got (\S+)$/, (all, n: string) => (Number(n) === Number(text) ? `, got ${text}` : all));
    throw new StormError('BAD_OPTION', `${flag} ${reason}${m[1]!.endsWith('Ms') ? ' (ms)' : ''}`);
  }
}
