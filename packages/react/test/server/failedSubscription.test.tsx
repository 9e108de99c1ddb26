// A subscription the server refused stays `failed` in core until something subscribes
// again. The hooks keep an unused subscription for releaseDelayMs, and used to hand that
// failed one to the next component mounting on the channel: a remount (a route change and
// back, a new key) showed the old failure at once and never asked the server again. A
// failed subscription is not reused; `retry()` asks again for components still mounted.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { act, cleanup, render, screen } from '@testing-library/react';
import { StrictMode } from 'react';
import { createClient, type LifelineClient } from '@lifeline/core';
import { createServer, type LifelineServer } from '@lifeline/server';
import { LifelineProvider, useChannel } from '../../src';
import { framesIn, until } from '../support/server';

// One channel per connection: a second is refused with TOO_MANY_CHANNELS until the first
// is unsubscribed, a refusal that a later attempt can overcome.
let server: LifelineServer;
beforeAll(async () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  server = await createServer({ port: 0, host: '127.0.0.1', maxChannels: 1, logger: quiet });
});
afterAll(() => server.close());
const clients: LifelineClient[] = [];
afterEach(async () => {
  cleanup();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

// Long enough that no lease is released during a test: reuse is what is exercised.
const HOLD_MS = 60_000;
// A fresh subscribe is answered within milliseconds; a reused failed one never is.
const ANSWER_MS = 5000;

/** A client whose one allowed channel is taken by `other` (release with the returned function). */
async function clientWithSlotTaken() {
  const client = createClient({ url: `${server.url}/v1`, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
  clients.push(client);
  // Listened to: the refusals are expected here (core prints unheard errors).
  const refusals: string[] = [];
  client.on('error', (e) => refusals.push(`${e.code} ${e.serverCode}`));
  const other = client.channel(`other:${clients.length}-${Date.now()}`);
  const off = other.subscribe(() => {});
  await until(() => other.getSnapshot().state === 'subscribed', 'the other channel subscribed');
  return { client, freeSlot: off, refusals };
}

function Room({ id, name, log, grabRetry }: { id: string; name: string; log: string[]; grabRetry?: (r: () => void) => void }) {
  const { state, error, retry } = useChannel(name, () => {});
  grabRetry?.(retry);
  const text = `${state} ${error?.serverCode ?? '-'}`;
  log.push(text);
  return <p data-testid={id}>{text}</p>;
}

const text = (id: string) => screen.getByTestId(id).textContent;

describe('a subscription the server refused', () => {
  it('is subscribed afresh by a component mounting within releaseDelayMs, once under StrictMode, and never shows the old failure', async () => {
    const { client, freeSlot, refusals } = await clientWithSlotTaken();
    const name = `room:refused-${Date.now()}`;
    const log: string[] = [];
    const tree = (key: string) => (
      <StrictMode>
        <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
          <Room key={key} id="room" name={name} log={log} />
        </LifelineProvider>
      </StrictMode>
    );
    const r = render(tree('first'));
    await until(() => text('room') === 'failed TOO_MANY_CHANNELS', 'the refusal');
    const subsBefore = framesIn(server, 'sub');

    freeSlot(); // e.g. the user closed another panel
    log.length = 0;
    r.rerender(tree('second')); // a new key: the first Room unmounts, a new one mounts
    await until(() => text('room') === 'subscribed -', 'subscribed on the second mount', ANSWER_MS);
    expect(log.filter((l) => l.startsWith('failed'))).toEqual([]);
    // One new attempt, StrictMode's second effect run included (a healthy one is reused).
    expect(framesIn(server, 'sub')).toBe(subsBefore + 1);
    expect(refusals).toEqual(['SERVER_ERROR TOO_MANY_CHANNELS']);
  });

  it('a mount next to a component still showing the failure subscribes again for both', async () => {
    const { client, freeSlot } = await clientWithSlotTaken();
    const name = `room:refused-sibling-${Date.now()}`;
    const log: string[] = [];
    const tree = (withSecond: boolean) => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        <Room id="first" name={name} log={log} />
        {withSecond && <Room id="second" name={name} log={log} />}
      </LifelineProvider>
    );
    const r = render(tree(false));
    await until(() => text('first') === 'failed TOO_MANY_CHANNELS', 'the refusal');
    freeSlot();
    r.rerender(tree(true));
    await until(() => text('first') === 'subscribed -' && text('second') === 'subscribed -', 'both subscribed', ANSWER_MS);
  });

  it('retry() subscribes again, for every component on the channel', async () => {
    const { client, freeSlot } = await clientWithSlotTaken();
    const name = `room:retry-${Date.now()}`;
    const log: string[] = [];
    let retry!: () => void;
    render(
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        <Room id="a" name={name} log={log} grabRetry={(r) => (retry = r)} />
        <Room id="b" name={name} log={log} />
      </LifelineProvider>,
    );
    await until(() => text('a') === 'failed TOO_MANY_CHANNELS' && text('b') === 'failed TOO_MANY_CHANNELS', 'the refusal');
    const subsBefore = framesIn(server, 'sub');
    // Refused again while the slot is still taken: said again, the same way.
    act(() => retry());
    await until(() => framesIn(server, 'sub') === subsBefore + 1, 'a new sub');
    await until(() => text('a') === 'failed TOO_MANY_CHANNELS', 'refused again');

    freeSlot();
    act(() => retry());
    await until(() => text('a') === 'subscribed -' && text('b') === 'subscribed -', 'both subscribed', ANSWER_MS);
    expect(framesIn(server, 'sub')).toBe(subsBefore + 2);
    // On a healthy channel it does nothing.
    act(() => retry());
    await client.channel(name).publish('fence'); // acked after anything sent before it
    expect(framesIn(server, 'sub')).toBe(subsBefore + 2);
  });
});
