import type { Logger } from './options';

const LABELS = { debug: 'DEBUG: ', info: '', warn: 'WARNING: ', error: 'ERROR: ' } as const;

/** `meta` as one line of compact JSON; errors by their message, bigints as strings, never a throw. */
export function metaJson(meta: Record<string, unknown>): string {
  try {
    return JSON.stringify(meta, (_key, value: unknown) => {
      if (value instanceof Error) return value.message;
      if (typeof value === 'bigint') return value.toString();
      return value;
    });
  } catch (err) {
    // A circular meta: still one line, and it says why the fields are missing.
    return JSON.stringify({ meta: `unprintable (${(err as Error).message})` });
  }
}

/**
 * The CLI's stderr logger: one line per call, at every level,
 * `<ISO time> lifeline-server: [WARNING: |ERROR: |DEBUG: ]<msg>[ <meta as compact JSON>]`.
 * The meta used to be dropped from info and warn lines and no line had a time.
 *
 * @param write where lines go (default stderr)
 * @param now the time of a line (default the wall clock)
 */
export function createCliLogger(
  write: (line: string) => void = (line) => void process.stderr.write(line),
  now: () => Date = () => new Date(),
): Logger {
  const line = (level: keyof typeof LABELS) => (msg: string, meta?: Record<string, unknown>): void => {
    const extra = meta && Object.keys(meta).length > 0 ? ` ${metaJson(meta)}` : '';
    write(`${now().toISOString()} lifeline-server: ${LABELS[level]}${msg}${extra}\n`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
