// Flags and steps the trial found accepted and then ignored, and an empty command line
// that printed the help and passed.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { parseSchedule } from '../src/proxy/schedule';
import { refusal } from './refusal';

const refused = (argv: string[]) => refusal(() => parseCommand(argv));

describe('usage errors instead of silently ignored input', () => {
  it('no arguments at all is a usage error (exit 1), not the help (exit 0)', () => {
    expect(refused([])).toBe('no scenario given (one of restart, drain, blip, half-open, flaky, rolling, or proxy)');
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' });
  });

  it.each(['--latency', '--schedule', '--listen', '--bandwidth'])('a scenario run refuses the proxy-only %s', (flag) => {
    const value = flag === '--schedule' ? '100:cut' : '100';
    expect(refused(['blip', flag, value])).toBe(`${flag} is an option of lifeline-storm proxy, not of a scenario run`);
  });

  it.each([
    ['--token', 'abc.def.ghi'], ['--clients', '5'], ['--duration', '5s'], ['--compare', 'all'], ['--json', 'out.json'], ['--seed', '3'], ['--workers', '0'],
  ])('proxy refuses the scenario-run-only %s (as a scenario run refuses the proxy\'s)', (flag, value) => {
    expect(refused(['proxy', '--listen', '9000', '--target', 'ws://127.0.0.1:8080', flag, value])).toBe(`${flag} is an option of a scenario run, not of lifeline-storm proxy`);
  });

  it('proxy still takes its own flags, --target and --help', () => {
    expect(parseCommand(['proxy', '--listen', '9000', '--target', '127.0.0.1:8080', '--latency', '5', '--bandwidth', 'off', '--schedule', '100:cut']).kind).toBe('proxy');
    expect(parseCommand(['proxy', '--help'])).toEqual({ kind: 'help' });
  });

  it.each(['--broker', '--heartbeat'])('with --target, %s (embedded server only) is refused', (flag) => {
    const value = flag === '--broker' ? 'memory' : '5s';
    expect(refused(['blip', '--target', 'ws://127.0.0.1:9', flag, value])).toBe(
      `${flag} sets up the embedded server, and --target runs against an external one: drop one of them`,
    );
    expect(refused(['blip', flag, value])).toBe('accepted');
  });

  it('a schedule step with a value on an action that takes none (100:cut=1) is refused', () => {
    for (const a of ['cut', 'blackhole', 'restore']) {
      expect(refusal(() => parseSchedule(`100:${a}=1`))).toBe(`schedule step "100:${a}=1": ${a} takes no value (write 100:${a})`);
    }
    expect(parseSchedule('100:cut')).toEqual([{ atMs: 100, action: 'cut' }]);
  });
});
