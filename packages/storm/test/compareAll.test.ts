// A trial's `--compare all,full` was refused as `unknown strategy "all"`: `all` is known, it
// is a whole list of its own. The refusal now says so.
import { describe, expect, it } from 'vitest';
import { parseCommand, parseVariants } from '../src/cli/args';
import { refusal } from './refusal';

const ALONE = /^--compare: "all" stands for every strategy \(full, equal, decorrelated, none\) and must be used alone, as --compare all \(with --server-hint off for them all without the hint\), got "(.*)"$/;

describe('--compare all goes alone', () => {
  it.each(['all,full', 'full,all', 'all,all', 'all:nohint', 'none, all:hint'])('"%s" is BAD_OPTION saying all must be used alone', (text) => {
    const message = refusal(() => parseCommand(['blip', '--compare', text]));
    expect(message).toMatch(ALONE);
    expect(ALONE.exec(message)![1]).toBe(text);
    expect(message).not.toContain('unknown strategy');
  });

  it('all alone is every strategy, with the hint as --server-hint says', () => {
    expect(parseVariants('all', true).map((v) => `${v.strategy}:${v.serverHint}`)).toEqual(['full:true', 'equal:true', 'decorrelated:true', 'none:true']);
    expect(parseVariants('all', false).every((v) => !v.serverHint)).toBe(true);
    expect(parseVariants(' all ', true)).toHaveLength(4);
    // A strategy that does not exist is still named as one.
    expect(refusal(() => parseVariants('full,nope', true))).toBe('--compare: unknown strategy "nope" (one of full, equal, decorrelated, none, or all)');
  });
});
