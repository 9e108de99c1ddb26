// A useChannel component hidden by <Activity> (its state kept, its effects cleaned up) past
// releaseDelayMs. Alone on the channel, the subscription is released and core replays what
// arrived meanwhile when it is shown again. With another hook keeping the channel subscribed
// (a usePresence in a visible header, another component on the name), core handed those
// messages to the others and moved on: the component got the next one as if nothing had
// happened, without a gap. It now shows them as its own gap ('handler-skipped', from its
// last position to the channel's when it came back); nothing can replay them.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { until, useServerWithClients, subscribed } from '../support/server';
import { activityTree, type Beside } from '../support/gapFeed';

const t = useServerWithClients();


describe('a useChannel hidden by <Activity>, then shown again', () => {
  it('alone on the channel, past releaseDelayMs: gets what arrived while hidden, replayed, without a gap', () =>
    hideAndShow('nothing', 20));
  it('beside a visible usePresence, past releaseDelayMs: shows what it missed as its gap, then the next messages', () =>
    hideAndShow('usePresence', 20));
  it('beside a visible useChannel, past releaseDelayMs: the same', () => hideAndShow('useChannel', 20));
  it('beside a visible useChannel, within releaseDelayMs (one subscription: that handler took the messages): the same', () =>
    hideAndShow('useChannel', 60_000));
});

/** a arrives, Feed is hidden, b, 200 ms, c, Feed is shown, d. */
async function hideAndShow(beside: Beside, releaseDelayMs: number) {
  const name = `room:hidden-${beside}-${releaseDelayMs}-${Date.now()}`;
  const client = t.client();
  const seen: string[] = [];
  const gaps: string[] = [];
  const tree = activityTree(client, name, beside, releaseDelayMs, seen, gaps);
  const r = render(tree(true));
  await subscribed(client, name);
  await client.channel(name).publish('a');
  await until(() => seen.length === 1, 'a');
  r.rerender(tree(false));
  await client.channel(name).publish('b');
  await new Promise((res) => setTimeout(res, 200));
  await client.channel(name).publish('c');
  r.rerender(tree(true));
  await client.channel(name).publish('d');
  await until(() => seen.some((m) => m[0] === 'd'), 'd');
  expect({ seen, gaps }).toEqual(
    beside === 'nothing'
      ? { seen: ['a1', 'b2', 'c3', 'd4'], gaps: [] }
      : { seen: ['a1', 'd4'], gaps: ['handler-skipped 1-3'] },
  );
  r.unmount();
}
