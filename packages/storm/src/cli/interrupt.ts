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
 * Catches SIGINT and SIGTERM for the length of a run. Without it a Ctrl-C ended the
 * process at once: no message, servers and clients never closed, the run's Redis keys
 * left behind. The first signal prints one line and aborts the run (which then cleans
 * up as at its normal end); a second one exits at once.
 */
export function catchInterrupt(write: (line: string) => void = (l) => process.stderr.write(l)): Interrupt {
  const ac = new AbortController();
  let status: number | null = null;
  const handler = (name: keyof typeof STATUS) => {
    if (status !== null) process.exit(STATUS[name]);
    status = STATUS[name];
    write(`\nlifeline-storm: ${name}: stopping the run, closing clients and servers, deleting its Redis keys (send it again to quit at once)\n`);
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
