// Trial finding: `lifeline-storm proxy … --schedule "$STEPS"` with $STEPS unset (or only
// commas) started the proxy with `schedule: none`, the chaos asked for silently left out,
// while every other flag refuses an empty value. And `--client ""` echoed nothing after `got`.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { refusal } from './refusal';

const proxy = (schedule: string) => refusal(() => parseCommand(['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9', '--schedule', schedule]));

describe('--schedule without a step', () => {
  it.each(['', ' ', ',', ' , ,'])('%j is BAD_OPTION', (text) => {
    expect(proxy(text)).toBe(`--schedule needs at least one step (e.g. 1000:cut,3000:latency=200), got "${text}"`);
  });

  it('one step, a trailing comma and no --schedule at all still work', () => {
    expect(proxy('1000:cut')).toBe('accepted');
    expect(proxy('1000:cut,')).toBe('accepted');
    const cmd = parseCommand(['proxy', '--listen', '0', '--target', 'ws://127.0.0.1:9']);
    expect(cmd.kind === 'proxy' && cmd.schedule).toEqual([]);
  });

  it('--client "" quotes the empty value', () => {
    expect(refusal(() => parseCommand(['blip', '--client', '']))).toBe('--client must be core or lite, got ""');
  });
});
