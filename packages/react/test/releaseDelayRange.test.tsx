import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { LifelineProvider, usePresence } from '../src';
import { FakeClient } from './support/fakeClient';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function Watch() {
  usePresence('room');
  return null;
}

describe('<LifelineProvider releaseDelayMs>', () => {
  // Timers take a 32-bit delay: Infinity, NaN, a negative or a larger value fired at once, so
  // `releaseDelayMs={Infinity}` ("keep subscriptions while the app runs") released them on the
  // next tick, without a word.
  it.each([Infinity, Number.NaN, -1, 2 ** 31])(
    'throws a RangeError naming %s during render, instead of releasing at once',
    (bad) => {
      vi.spyOn(console, 'error').mockImplementation(() => {});
      const client = new FakeClient();
      expect(() =>
        render(
          <LifelineProvider client={client} releaseDelayMs={bad}>
            <Watch />
          </LifelineProvider>,
        ),
      ).toThrow(new RangeError(`<LifelineProvider> needs \`releaseDelayMs\` in [0, 2**31), not ${String(bad)}`));
      expect(client.wire).toEqual([]);
    },
  );

  it.each([0, 2 ** 31 - 1])('takes %s ms and keeps the subscription that long', (ms) => {
    vi.useFakeTimers();
    const client = new FakeClient();
    const r = render(
      <LifelineProvider client={client} releaseDelayMs={ms}>
        <Watch />
      </LifelineProvider>,
    );
    r.unmount();
    act(() => vi.advanceTimersByTime(Math.max(ms - 1, 0)));
    expect(client.count('unsub')).toBe(ms ? 0 : 1);
    act(() => vi.advanceTimersByTime(1));
    expect(client.count('unsub')).toBe(1);
  });
});
