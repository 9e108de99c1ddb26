// Trial finding: `--clients -5` and `--workers -1` reached the user as Node's parseArgs
// text ("Option '--clients' argument is ambiguous. Did you forget to specify the option
// argument…"), not as the flag's own check; the bin now says what every bad number says.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { main } from '../src/cli/main';
import { refusal } from './refusal';

const refused = (argv: string[]) => refusal(() => parseCommand(argv));

describe('a negative number after a flag gets the flag\'s own BAD_OPTION', () => {
  it.each([
    [['blip', '--clients', '-5'], '--clients wants a whole number in [1, 100000], got "-5"'],
    [['blip', '--workers', '-1'], '--workers wants a whole number in [0, 16], got "-1"'],
    [['blip', '--seed', '-1'], '--seed wants a whole number in [0, 4294967295], got "-1"'],
    [['blip', '--publish-rate', '-0.5'], '--publish-rate wants a number > 0 and <= 1000, got "-0.5"'],
    [['blip', '--duration', '-1s'], '--duration wants a duration like 30s or 500ms, got "-1s"'],
    [['proxy', '--listen', '-1', '--target', 'ws://127.0.0.1:9'], '--listen wants a port in [0, 65535], got "-1"'],
  ])('%j', (argv, message) => {
    expect(refused(argv)).toBe(message);
  });

  it('another flag after a flag is a missing value, BAD_OPTION all the same', () => {
    expect(refused(['blip', '--clients', '--workers', '2'])).toBe('--clients needs a value (a value starting with "-" is written --clients=VALUE)');
  });

  it('main() prints the message with the --help hint and exits 1', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['blip', '--clients', '-5'])).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(err.join('')).toBe('lifeline-storm: --clients wants a whole number in [1, 100000], got "-5" [BAD_OPTION]\nrun lifeline-storm --help for usage\n');
  });
});
