// Trial finding: a mistyped flag (`--clinets 10`) got Node's parseArgs text, "Unknown option
// '--clinets'. To specify a positional argument starting with a '-', place it at the end of
// the command after '--', as in '-- "--clinets"" (unbalanced quotes, advice that storm then
// refuses as an unexpected argument), and a flag without its value "Option '--clients
// <value>' argument missing". They now read as the CLI's other refusals, on one line.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { main } from '../src/cli/main';
import { refusal } from './refusal';

const refused = (argv: string[]) => refusal(() => parseCommand(argv));

describe('flags parseArgs refuses', () => {
  it.each([
    [['restart', '--clinets', '10'], 'unknown option --clinets (did you mean --clients?)'],
    [['restart', '--Clients', '10'], 'unknown option --Clients (did you mean --clients?)'],
    [['blip', '--admision-rate', '5'], 'unknown option --admision-rate (did you mean --admission-rate?)'],
    [['blip', '--durration=5s'], 'unknown option --durration (did you mean --duration?)'],
    [['proxy', '--listne', '0', '--target', 'ws://127.0.0.1:9'], 'unknown option --listne (did you mean --listen?)'],
    [['blip', '--frobnicate'], 'unknown option --frobnicate'],
    [['blip', '--version'], 'unknown option --version'],
    [['blip', '-x'], 'unknown option -x'],
    [['blip', '--clients'], '--clients needs a value'],
    [['blip', '--help=yes'], '--help takes no value'],
  ])('%j', (argv, message) => {
    expect(refused(argv)).toBe(message);
  });

  it('main() prints one line and the --help hint, exit 1', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['restart', '--clinets', '10'])).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join('')).toBe('lifeline-storm: unknown option --clinets (did you mean --clients?) [BAD_OPTION]\nrun lifeline-storm --help for usage\n');
  });
});
