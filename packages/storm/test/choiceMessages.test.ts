// Trial finding: refusals of a word-valued flag read as fragments: `--server-hint maybe`
// was `--server-hint on|off, got "maybe"`, `--compare full:maybe` was `--compare:
// "full:maybe" (suffix :hint or :nohint)`, `--compare fast` named no strategy storm knows,
// and `--compare full:hint:x` ran as `full:hint`.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { refusal } from './refusal';

const run = (...argv: string[]) => refusal(() => parseCommand(['blip', ...argv]));

describe('refusals of word-valued flags say what is wanted', () => {
  it('--server-hint must be on or off', () => {
    expect(run('--server-hint', 'maybe')).toBe('--server-hint must be on or off, got "maybe"');
    expect(run('--server-hint', 'off')).toBe('accepted');
  });

  it('--compare names the bad suffix and the good ones', () => {
    expect(run('--compare', 'full:maybe')).toBe('--compare: "full:maybe" has an unknown suffix ":maybe" (a strategy takes :hint or :nohint, e.g. full:nohint)');
    expect(run('--compare', 'full:hint,none:nohint')).toBe('accepted');
    // Only the first colon splits: the rest used to be dropped (`full:hint:x` ran full:hint).
    expect(run('--compare', 'full:hint:x')).toBe('--compare: "full:hint:x" has an unknown suffix ":hint:x" (a strategy takes :hint or :nohint, e.g. full:nohint)');
  });

  it('--compare names the strategies it knows', () => {
    expect(run('--compare', 'full,fast')).toBe('--compare: unknown strategy "fast" (one of full, equal, decorrelated, none, or all)');
  });
});
