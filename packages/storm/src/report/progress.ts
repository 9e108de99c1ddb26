/** Something a run reports its progress to. */
export interface Progress {
  update(fraction: number, label: string): void;
  done(): void;
}

export const silentProgress: Progress = { update() {}, done() {} };

/**
 * A one-line progress bar, only when `stream` is a TTY (logs and CI stay clean).
 * @param stream @default process.stderr
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, width = 30): Progress {
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
