// A useChannel component hidden by <Activity> before its channel had a position (the
// subscribe not answered yet), beside another hook that keeps the channel subscribed. Its
// cleanup kept a null position, so when shown again it had no `from`: it went on live
// without a gap, having missed what the others were handed while it was hidden. It now
// shows them as its own gap, from where the channel started (the position just before the
// first message handed out while it was hidden).
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { until, useServerWithClients, subscribed } from '../support/server';
import { activityTree, type Beside } from '../support/gapFeed';

const t = useServerWithClients();


describe('a useChannel hidden by <Activity> before its channel had a position, then shown again', () => {
  it('beside a visible useChannel: shows what it missed as its gap, from where the channel started', () =>
    hideAndShow('useChannel', 2));
  it('beside a visible usePresence, past releaseDelayMs: the same', () => hideAndShow('usePresence', 2));
  it('beside a visible useChannel, nothing published while hidden: no gap', () => hideAndShow('useChannel', 0));
  it('alone, within releaseDelayMs (the message waits for it): gets it, without a gap', () =>
    hideAndShow('nothing', 2, 60_000));
});

/** x is published, Feed mounts and is hidden at once, `missed` messages, Feed is shown, d. */
async function hideAndShow(beside: Beside, missed: number, releaseDelayMs = 20) {
  const name = `room:hidden-early-${beside}-${missed}-${releaseDelayMs}-${Date.now()}`;
  const client = t.client();
  const seen: string[] = [];
  const gaps: string[] = [];
  // Not from offset 0: the gap's `from` is the channel's start, not a guess.
  await client.channel(name).publish('x');
  const tree = activityTree(client, name, beside, releaseDelayMs, seen, gaps);
  const r = render(tree(true));
  r.rerender(tree(false));
  expect(client.channel(name).position).toBeNull();
  await subscribed(client, name);
  for (let i = 0; i < missed; i++) await client.channel(name).publish(`m`);
  if (beside !== 'nothing') await until(() => client.channel(name).position?.offset === 1 + missed, 'the others handled them');
  r.rerender(tree(true));
  await client.channel(name).publish('d');
  await until(() => seen.some((m) => m[0] === 'd'), 'd');
  const d = `d${2 + missed}`;
  expect({ seen, gaps }).toEqual(
    beside === 'nothing'
      ? { seen: ['m2', 'm3', d], gaps: [] }
      : { seen: [d], gaps: missed ? [`handler-skipped 1-${1 + missed}`] : [] },
  );
  r.unmount();
}
