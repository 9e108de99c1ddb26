/** Something a run reports its progress to. */
export interface Progress {
  update(fraction: number, label: string): void;
  done(): void;
}

export const silentProgress: Progress = { update() {}, done() {} };

/**
 * Where {@link createProgress} draws: what it uses of a `tty.WriteStream` such as
 * `process.stderr`. Structural, so the package's types need no @types/node (they said
 * `NodeJS.WriteStream`, which does not compile without it).
 */
export interface ProgressStream {
  /** Drawn only when true. */
  isTTY?: boolean | undefined;
  write(text: string): unknown;
}

/**
 * A one-line progress bar, only when `stream` is a TTY (logs and CI stay clean).
 * @param stream @default process.stderr
 */
export function createProgress(stream: ProgressStream = process.stderr, width = 30): Progress {
  if (!stream.isTTY) return silentProgress;
  let last = '';
  return {
    update(fraction, label) {
      const f = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(f * width);
      const text = `\r[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(f * 100)).padStart(3)}% ${label}`;
      if (text === last) return;
      last = text;
      stream.write(text.padEnd(width + 60));
    },
    done() {
      if (last) stream.write('\r' + ' '.repeat(width + 60) + '\r');
    },
  };
}
