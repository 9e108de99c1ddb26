// A useChannel coming back beside another subscriber of its channel (<Activity> shown again,
// or mounted with a `since`) while that subscriber's async handler is still on a message:
// the channel's position is the message before it (the last one whose handlers returned),
// and the delivery in progress does not include the handler added meanwhile. The gap said
// when the effect ran ended at the position, so that message went neither to the component
// nor into its gap: lost in silence. The first message handed to the component now
// carries its gap on up to the one before it.
import { Activity } from 'react';
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import type { Position } from '@lifeline/core';
import { LifelineProvider, useChannel } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';
import { Feed } from '../support/gapFeed';

const t = useServerWithClients();

/** An async handler (a database write) that stays on message 3 until `open()`. */
function slowHandler() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const s = { on: 0, open, handle: async (m: { offset: number }) => void ((s.on = m.offset) === 3 && (await gate)) };
  return s;
}

function Slow({ name, handle }: { name: string; handle: (m: { offset: number }) => Promise<void> }) {
  useChannel(name, handle);
  return null;
}

type Beside = 'useChannel' | 'channel.subscribe';

describe('a useChannel coming back while another handler of its channel is still on a message', () => {
  for (const beside of ['useChannel', 'channel.subscribe'] as Beside[]) {
    it(`<Activity> shown again beside a busy ${beside}: the message in hand is in its gap`, async () => {
      const { name, client, writer, slow, seen, gaps, cleanup } = await setUp(beside);
      const tree = (shown: boolean) => (
        <LifelineProvider client={client} releaseDelayMs={20}>
          {beside === 'useChannel' && <Slow name={name} handle={slow.handle} />}
          <Activity mode={shown ? 'visible' : 'hidden'}>
            <Feed name={name} seen={seen} gaps={gaps} />
          </Activity>
        </LifelineProvider>
      );
      const r = render(tree(true));
      await subscribed(client, name);
      await writer.channel(name).publish('a');
      await until(() => seen.length === 1 && client.channel(name).position?.offset === 1, 'a handled');
      r.rerender(tree(false));
      await writer.channel(name).publish('b');
      await writer.channel(name).publish('c');
      await until(() => slow.on === 3 && client.channel(name).position?.offset === 2, 'the slow handler on c');
      r.rerender(tree(true));
      await writer.channel(name).publish('d');
      slow.open();
      await until(() => seen.includes('d4'), 'd');
      expect({ seen, gaps }).toEqual({ seen: ['a1', 'd4'], gaps: ['handler-skipped 1-2', 'handler-skipped 1-3'] });
      r.unmount();
      cleanup();
    });
  }

  it('mounted with a `since` beside a busy useChannel: the message in hand is in its gap', async () => {
    const { r, name, writer, slow, seen, gaps } = await mountedBesideBusy();
    await writer.channel(name).publish('d');
    slow.open();
    await until(() => seen.includes('d4'), 'd');
    expect({ seen, gaps }).toEqual({ seen: ['d4'], gaps: ['handler-skipped 1-2', 'handler-skipped 1-3'] });
    r.unmount();
  });
});

describe('a useChannel that said its own gap beside a busy handler, then core says a loss after that message', () => {
  it('shows one gap of its own over both (the message in hand went to the other handler only)', async () => {
    const { r, name, client, writer, slow, seen, gaps, a } = await mountedBesideBusy();
    await until(() => gaps.length === 1, 'its own gap up to the position');
    // The server loses its log while c is still in hand: core's gap starts after c (the
    // other handler completes it), which this component never got.
    await t.server.faults.restart();
    await until(() => client.channel(name).getSnapshot().state === 'subscribed' && client.channel(name).position?.epoch !== a.epoch, 'resubscribed in the new epoch');
    slow.open();
    await writer.channel(name).publish('d');
    await until(() => seen.includes('d1'), 'd');
    // Core's gap (3-0) shows until the first message tells the component it started past
    // what it had (its own is said then); it must end up showing its own, from its `since`.
    await until(() => gaps.at(-1) === 'epoch-changed 1-0', 'its own gap over both', 2000).catch(() => {});
    expect({ seen, last: gaps.at(-1) }).toEqual({ seen: ['d1'], last: 'epoch-changed 1-0' });
    expect(gaps[0]).toBe('handler-skipped 1-2');
    r.unmount();
  });
});

/**
 * A Feed mounted with `since` just after a (published first, so 1) beside a useChannel whose
 * async handler is on c (3): the channel's position is 2.
 */
async function mountedBesideBusy() {
  const { name, client, writer, slow, seen, gaps } = await setUp('useChannel');
  const tree = (since?: Position) => (
    <LifelineProvider client={client}>
      <Slow name={name} handle={slow.handle} />
      {since && <Feed name={name} since={since} seen={seen} gaps={gaps} />}
    </LifelineProvider>
  );
  const r = render(tree());
  await subscribed(client, name);
  const a = await writer.channel(name).publish('a');
  await writer.channel(name).publish('b');
  await writer.channel(name).publish('c');
  await until(() => slow.on === 3 && client.channel(name).position?.offset === 2, 'the slow handler on c');
  r.rerender(tree({ offset: a.offset, epoch: a.epoch }));
  return { r, name, client, writer, slow, seen, gaps, a };
}

async function setUp(beside: Beside) {
  const name = `room:inflight-${beside}-${Date.now()}`;
  const client = t.client();
  const slow = slowHandler();
  // Another subscriber of the channel outside React (core's own subscribe), as a store would.
  const off = beside === 'channel.subscribe' ? client.channel(name).subscribe(slow.handle) : () => {};
  return { name, client, writer: t.client(), slow, seen: [] as string[], gaps: [] as string[], cleanup: off };
}
