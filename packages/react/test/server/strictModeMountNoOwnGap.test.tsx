// StrictMode runs a mounting component's effect, its cleanup and the effect again. A
// component mounting (on a subscription of its own) while a message is parked on a
// subscription kept with no component lets that message go (acquireChannel). The first
// effect's cleanup noted the channel's position before it, as where this component "left";
// the second effect took it as a return of the same instance, and the first message handed
// to it then showed the let-go message as this component's gap. Without StrictMode the same
// mount shows none: a new component is owed what arrives after its mount. (Any message another
// hook's async handler is on when a component mounts in StrictMode shows the same way: the
// cleanup records the channel's position, behind that message.)
import { StrictMode } from 'react';
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import type { GapEvent } from '@lifeline/core';
import { LifelineProvider, useChannel } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();
const HOLD_MS = 60_000;

describe('a component mounting in StrictMode shows no gap of its own', () => {
  it.each([
    ['without StrictMode', false],
    ['in StrictMode', true],
  ])('%s: a component mounting while a message is parked on a subscription with no component gets the next messages and shows no gap of its own', async (label, strict) => {
    const name = `room:strict-parked-${strict}-${Date.now()}`;
    const client = t.client();
    const seen: string[] = [];
    const gaps: Array<GapEvent | null> = [];
    const { epoch } = await client.channel(name).publish('z');
    function Gone() {
      useChannel(name, () => {}, { since: { offset: 0, epoch } });
      return null;
    }
    function Chat() {
      const { gap } = useChannel<string>(name, (m) => void seen.push(m.data));
      gaps.push(gap);
      return null;
    }
    const tree = (step: 'gone' | 'none' | 'chat') => {
      const t = (
        <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
          {step === 'gone' && <Gone />}
          {step === 'chat' && <Chat />}
        </LifelineProvider>
      );
      return strict ? <StrictMode>{t}</StrictMode> : t;
    };
    const r = render(tree('gone'));
    await subscribed(client, name);
    r.rerender(tree('none'));
    const received = client.stats().received;
    await client.channel(name).publish('a'); // parked: no component on the only subscription
    await until(() => client.stats().received > received, 'a at the client');
    r.rerender(tree('chat'));
    for (const d of ['b', 'c']) await client.channel(name).publish(d);
    await until(() => seen.includes('c'), `b, c at the chat (got ${seen})`, 3000);
    // The gap a handler call sets shows from the render after it: let that render happen.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(['b', 'c']);
    expect(gaps.at(-1), JSON.stringify(gaps.at(-1))).toBeNull();
    r.unmount();
  });

  it.each([
    ['without StrictMode', false],
    ['in StrictMode', true],
  ])('%s: a component mounting while another hook\'s async handler is on a message shows no gap of its own', async (label, strict) => {
    const name = `room:strict-busy-${strict}-${Date.now()}`;
    const client = t.client();
    const seen: string[] = [];
    const gaps: Array<GapEvent | null> = [];
    let release!: () => void;
    // A subscription of its own (another onHandlerError than the chat's default): its async
    // handler holds 'a' while the chat mounts.
    function Slow() {
      useChannel<string>(name, (m) => (m.data === 'a' ? new Promise<void>((r) => (release = r)) : undefined), { onHandlerError: 'redeliver' });
      return null;
    }
    function Chat() {
      const { gap } = useChannel<string>(name, (m) => void seen.push(m.data));
      gaps.push(gap);
      return null;
    }
    const tree = (chat: boolean) => {
      const x = (
        <LifelineProvider client={client} releaseDelayMs={60_000}>
          <Slow />
          {chat && <Chat />}
        </LifelineProvider>
      );
      return strict ? <StrictMode>{x}</StrictMode> : x;
    };
    const r = render(tree(false));
    await subscribed(client, name);
    await client.channel(name).publish('a');
    await until(() => !!release, 'a in hand');
    r.rerender(tree(true));
    release();
    await client.channel(name).publish('b');
    await until(() => seen.includes('b'), `b (got ${seen})`, 3000);
    await client.channel(name).publish('c');
    await until(() => seen.includes('c'), 'c', 3000);
    // The gap a handler call sets shows from the render after it: let that render happen.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['b', 'c']); // mounted after 'a' arrived: owed what follows
    expect(gaps.at(-1), JSON.stringify(gaps.at(-1))).toBeNull();
    r.unmount();
  });
});
