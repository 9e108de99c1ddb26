import { closest } from '../values/closest';

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
