// README (usePresence): "one [refusal] for good (FORBIDDEN, TOO_MANY_CHANNELS) is not
// [retried], until `info` changes or the component mounts again."
// A component that mounts again within releaseDelayMs (a route change and back, a list
// re-keyed) picks up the held presence entry: after a refusal for good it must enter
// again (the entry used to still say the refused info was entered: silently absent).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, render } from '@testing-library/react';
import { LifelineProvider, usePresence } from '../src';
import { setup } from '../../core/test/support/harness';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Me() {
  usePresence('room', { name: 'ada' });
  return null;
}

describe('usePresence after a definitive refusal', () => {
  it('a component that mounts again sends the enter again', async () => {
    const h = setup();
    h.accept();
    const tree = (show: boolean) => <LifelineProvider client={h.client}>{show && <Me />}</LifelineProvider>;
    const r = render(tree(true));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    const enters = () => h.sock.frames('presence.enter');
    expect(enters()).toHaveLength(1);
    h.sock.push({ type: 'error', ref: enters()[0].ref, channel: 'room', code: 'FORBIDDEN', message: 'no presence for you' });
    await act(async () => {});
    expect(h.errors.map((e) => e.serverCode)).toEqual(['FORBIDDEN']);
    // e.g. the user was granted access and navigates away and back (well within 100 ms)
    r.rerender(tree(false));
    act(() => vi.advanceTimersByTime(50));
    r.rerender(tree(true));
    act(() => vi.advanceTimersByTime(1000));
    expect(enters()).toHaveLength(2);
    void h.client.close();
  });
});
