/**
 * Node's `parseArgs` errors in the words of the rest of the CLI, on one line. Its unknown-option
 * message told a user who mistyped `--clinets` to "place it at the end of the command after
 * '--'" (which storm then refuses as an unexpected argument) and named no flag that exists.
 */
export function parseArgsMessage(cause: unknown, known: readonly string[]): string {
  const e = cause as { code?: string; message?: string };
  const message = String(e?.message ?? cause);
  if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = /Unknown option '([^']+)'/.exec(message)?.[1] ?? '?';
    const near = closest(name.replace(/^-+/, '').split('=')[0]!, known);
    return `unknown option ${name}${near ? ` (did you mean --${near}?)` : ''}`;
  }
  if (e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /--[\w-]+/.exec(message)?.[0];
    if (flag && /argument missing/.test(message)) return `${flag} needs a value`;
    if (flag && /does not take an argument/.test(message)) return `${flag} takes no value`;
    // The next argument starts with "-": most often the next flag, the value forgotten.
    if (flag && /ambiguous/.test(message)) return `${flag} needs a value (a value starting with "-" is written ${flag}=VALUE)`;
  }
  return message.replace(/\s*\n\s*/g, ' ');
}

/** The known flag within 2 edits of `typed` (case aside), the nearest; none if none is. */
function closest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const flag of known) {
    const d = editDistance(typed.toLowerCase(), flag);
    if (d < bestDistance) [best, bestDistance] = [flag, d];
  }
  return best;
}

/** Levenshtein distance, a swap of two neighbours counted as one edit (`clinets`). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
