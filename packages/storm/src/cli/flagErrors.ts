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
 * durations are said in ms, as the check counts them.
 */
export function withFlagNames<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!isStormError(e) || e.code !== 'BAD_OPTION') throw e;
    const m = /^(\w+) (must .*)$/.exec(e.message);
    const flag = m && FLAGS[m[1]!];
    if (!flag) throw e;
    // Another option named in the reason (`downMs must be shorter than durationMs`) by its flag too.
    const reason = m[2]!.replace(/\b[a-z]+[A-Z]\w*\b/g, (name) => FLAGS[name] ?? name);
    throw new StormError('BAD_OPTION', `${flag} ${reason}${m[1]!.endsWith('Ms') ? ' (ms)' : ''}`);
  }
}
