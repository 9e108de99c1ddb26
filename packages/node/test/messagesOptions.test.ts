import { describe, expect, it } from 'vitest';
import { messages, type MessagesOptions } from '../src/messageIterator';
import { isLifelineNodeError } from '../src/errors';
import { FakeChannel } from './fixtures/fakeChannel';

// Options of messages() checked when the iteration is created. A mistyped onGap used to
// surface only when a gap happened (a TypeError out of the loop, in the middle of an
// incident); autoAck: 'false' (an env var) silently meant true.

const bad: Array<[string, MessagesOptions]> = [
  ["onGap that is neither 'stop', 'continue' nor a function (typo)", { onGap: 'contineu' as never }],
  ['autoAck that is not a boolean', { autoAck: 'false' as never }],
  ['signal that is not an AbortSignal', { signal: {} as never }],
  ['highWaterMark NaN', { highWaterMark: NaN }],
  ['maxUncommitted 0', { maxUncommitted: 0 }],
  ['highWaterMark 1.5 (a count of messages; it was taken as 2)', { highWaterMark: 1.5 }],
  ["highWaterMark as text '64' (an env var; it was taken)", { highWaterMark: '64' as never }],
  ['lowWaterMark 1.5', { highWaterMark: 4, lowWaterMark: 1.5 }],
];

describe('messages() refuses invalid options with BAD_OPTION at once', () => {
  for (const [what, options] of bad) {
    it(what, () => {
      const ch = new FakeChannel<number>();
      let error: unknown = null;
      try {
        messages(ch.asChannel(), options);
      } catch (e) {
        error = e;
      }
      expect(isLifelineNodeError(error, 'BAD_OPTION'), String(error)).toBe(true);
      expect(ch.subscribeCount).toBe(0);
    });
  }

  it('accepts the documented forms', () => {
    const ch = new FakeChannel<number>();
    for (const options of [{ onGap: 'continue' }, { onGap: () => {} }, { autoAck: false, signal: new AbortController().signal }] as MessagesOptions[]) {
      expect(() => messages(ch.asChannel(), options)).not.toThrow();
    }
  });
});
