import { runBroker, type StormOptions } from '../sim/options';
import { scenarios } from '../sim/scenarios';

/** What a signal during a run leaves the CLI with. */
export interface Interrupt {
  /** Aborted (reason: the signal's name) by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM (128 + the signal's number); null while none came. */
  status(): number | null;
  /** Removes the handlers (the default action is back: a signal ends the process). */
  dispose(): void;
}

const STATUS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * What stopping this run does, for the signal's line: `closing its clients, proxies and
 * servers, deleting its Redis keys`. Only what the run has: the line used to name servers
 * and Redis keys for every run, also against a `--target` (no embedded servers) or on the
 * memory broker (no keys). `drain` connects without a proxy; with `auto` (and `rolling`'s
 * default) the broker is Redis only when 127.0.0.1:6379 answered, so that is said as a condition.
 */
export function stoppingWords(o: StormOptions): string {
  const closing = ['clients'];
  if (scenarios[o.scenario]?.network !== 'direct') closing.push('proxies');
  if (o.target === undefined) closing.push('servers');
  const list = closing.length === 1 ? closing[0] : `${closing.slice(0, -1).join(', ')} and ${closing.at(-1)}`;
  const broker = o.target === undefined ? runBroker(o) : 'none';
  const redis = /^redis:\/\//.test(broker) ? ', deleting its Redis keys' : broker === 'auto' ? ', deleting its Redis keys if broker auto picked Redis' : '';
  return `closing its ${list}${redis}`;
}

/**
 * Catches SIGINT and SIGTERM for the length of a run (`stopping`: what stopping it does,
 * {@link stoppingWords}). Without it a Ctrl-C ended the
 * process at once: no message, servers and clients never closed, the run's Redis keys
 * left behind. The first signal prints one line and aborts the run (which then cleans
 * up as at its normal end); a second one exits at once.
 */
export function catchInterrupt(stopping: string, write: (line: string) => void = (l) => process.stderr.write(l)): Interrupt {
  const ac = new AbortController();
  let status: number | null = null;
  const handler = (name: keyof typeof STATUS) => {
    if (status !== null) process.exit(STATUS[name]);
    status = STATUS[name];
    write(`\nlifeline-storm: ${name}: stopping the run, ${stopping} (send it again to quit at once)\n`);
    ac.abort(name);
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: ac.signal,
    status: () => status,
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
