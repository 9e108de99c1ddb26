// A hook's subscription kept for releaseDelayMs with no component on it parks the next
// message (so a component mounting within the delay gets it). Core's channel waits for every
// subscription's handlers before it hands out the next message: the park holds up the
// components that stay mounted on the channel, for the whole delay. Shown with a usePresence
// that only watches (its own subscription, whose handler ignores messages: nothing a park
// could ever hand it) and with a useChannel whose `since` makes it a subscription of its own;
// with a component whose own `since` changes (its old subscription, now empty, held up its
// new one); and with a component mounting on the channel while a message is parked.
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { LifelineProvider, useChannel, usePresence } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();
// A route cache keeps subscriptions a while; the stall lasts that long.
const HOLD_MS = 60_000;
// A healthy channel delivers within milliseconds.
const STALL_MS = 3000;

function Chat({ name, seen }: { name: string; seen: string[] }) {
  useChannel<string>(name, (m) => void seen.push(m.data));
  return null;
}
function Watchers({ name }: { name: string }) {
  usePresence(name);
  return null;
}
function Since({ name }: { name: string }) {
  useChannel(name, () => {}, { since: { offset: 0, epoch: 'x' } });
  return null;
}

describe('a subscription left with no component beside a mounted one', () => {
  it.each([
    ['a watching usePresence', Watchers],
    ['a useChannel with since', Since],
  ])('%s unmounts: the chat that stays gets every next message at once, not after releaseDelayMs', async (label, Gone) => {
    const name = `room:stall-${label.length}-${Date.now()}`;
    const client = t.client();
    const seen: string[] = [];
    const tree = (withGone: boolean) => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        <Chat name={name} seen={seen} />
        {withGone && <Gone name={name} />}
      </LifelineProvider>
    );
    const r = render(tree(true));
    await subscribed(client, name);
    r.rerender(tree(false));
    for (const d of ['a', 'b', 'c']) await client.channel(name).publish(d);
    await until(() => seen.length === 3, `a, b, c at the chat (got ${seen})`, STALL_MS);
    expect(seen).toEqual(['a', 'b', 'c']);
    r.unmount();
  });

  it('a useChannel whose `since` changes gets every next message at once on its new subscription, not after releaseDelayMs', async () => {
    const name = `room:stall-since-${Date.now()}`;
    const client = t.client();
    const seen: string[] = [];
    const { epoch } = await client.channel(name).publish('z');
    function Feed({ since }: { since: number }) {
      useChannel<string>(name, (m) => void seen.push(m.data), { since: { offset: since, epoch } });
      return null;
    }
    const tree = (since: number) => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        <Feed since={since} />
      </LifelineProvider>
    );
    const r = render(tree(0));
    await subscribed(client, name);
    await until(() => seen.length === 1, 'z replayed');
    r.rerender(tree(1));
    for (const d of ['a', 'b', 'c']) await client.channel(name).publish(d);
    await until(() => seen.length === 4, `a, b, c at the feed (got ${seen})`, STALL_MS);
    expect(seen).toEqual(['z', 'a', 'b', 'c']);
    r.unmount();
  });

  it('a component mounting while a message is parked on a subscription with no component gets the next messages at once', async () => {
    const name = `room:stall-parked-${Date.now()}`;
    const client = t.client();
    const seen: string[] = [];
    const { epoch } = await client.channel(name).publish('z');
    function Gone() {
      useChannel(name, () => {}, { since: { offset: 0, epoch } });
      return null;
    }
    const tree = (step: 'gone' | 'none' | 'chat') => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        {step === 'gone' && <Gone />}
        {step === 'chat' && <Chat name={name} seen={seen} />}
      </LifelineProvider>
    );
    const r = render(tree('gone'));
    await subscribed(client, name);
    r.rerender(tree('none'));
    // Parked: no component on the only subscription.
    const received = client.stats().received;
    await client.channel(name).publish('a');
    await until(() => client.stats().received > received, 'a at the client');
    r.rerender(tree('chat'));
    for (const d of ['b', 'c']) await client.channel(name).publish(d);
    await until(() => seen.includes('c'), `b, c at the chat (got ${seen})`, STALL_MS);
    // Mounted after a arrived: owed what follows.
    expect(seen).toEqual(['b', 'c']);
    r.unmount();
  });
});
