// The subscribe rate limit (subscribeRate.ts) against the reference client once several
// channels are refused together. Every refused `sub` is told the same retryAfterMs (the
// time to the bucket's next single token), and the reference client sends each again
// after exactly its hint: n channels come back at the same instant, one gets the token,
// n - 1 are refused again, and every refusal counts towards the flood limit shared with
// publishes (1,000 in 10 s). A client doing only what it was told is closed 4201 as a
// "subscribe flood". Found by review N; fails on the code as reviewed.
// Real sockets on port 0; both sides on one manual clock.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type LifelineError } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { CloseCode } from '@lifeline/core/protocol';
import { createServer } from '../src/index';
import { SUBSCRIBE_PER_SEC, subscribeBurst, takeSubscribe } from '../src/session/subscribeRate';
import type { Session } from '../src/session/session';
import { FakeClock } from './helpers/fakeClock';
import { closedAfterEach, spendSubscribeBurst, T0 } from './helpers/coreClients';
import { waitFor } from './helpers/waitFor';

const { cores, servers } = closedAfterEach();

describe('subscribe rate limit: refused channels retrying on their hint', () => {
  it('a reference client whose 60 new channels are refused together gets them all, one token at a time, and is never closed as a flood', async () => {
    const clock = createManualClock(T0);
    const maxChannels = 100;
    const server = await createServer({ port: 0, clock, heartbeatMs: 3_600_000, maxChannels });
    servers.push(server);
    // Counts the `sub` frames for the channels under test, so each step can wait for their answers.
    let laterSent = 0;
    class CountingSocket extends WebSocket {
      override send(data: unknown, ...rest: unknown[]): void {
        if (typeof data === 'string' && data.includes('"type":"sub"') && data.includes('"later:')) laterSent++;
        (super.send as (...a: unknown[]) => void)(data, ...rest);
      }
    }
    const client = createClient({ url: `${server.url}/v1`, clock, lifecycle: false, WebSocket: CountingSocket as never });
    cores.push(client);
    const refused: LifelineError[] = [];
    client.on('error', (e) => {
      if (e.serverCode === 'RATE_LIMITED') refused.push(e);
    });
    client.connect();
    await waitFor(() => client.state === 'open', 'open');
    await spendSubscribeBurst(client, maxChannels);

    const wanted = Array.from({ length: 60 }, (_, i) => `later:${i}`);
    wanted.forEach((n) => client.channel(n).subscribe(() => {}));
    const subscribed = (): number => wanted.filter((n) => client.channel(n).getSnapshot().state === 'subscribed').length;
    await waitFor(() => refused.length === wanted.length, 'the first refusals');
    // Each step lets a hint pass (the client sends what is due at once, on this clock) and
    // waits until every `sub` sent for these channels has its answer.
    const step = 1000 / SUBSCRIBE_PER_SEC;
    const closed = (): boolean => client.stats().lastCloseCode !== null;
    for (let i = 0; i < 8 * wanted.length && subscribed() < wanted.length && !closed(); i++) {
      clock.advance(step);
      await waitFor(() => closed() || refused.length + subscribed() >= laterSent, `step ${i} answered`);
    }
    expect({ closed: client.stats().lastCloseCode, subscribed: subscribed() }).toEqual({ closed: null, subscribed: wanted.length });
    // Each refusal had a slot of its own: every channel was refused once, its re-send found a
    // token, and the last one was in after about one refill interval per channel.
    expect(refused.length).toBe(wanted.length);
    expect(clock.now() - T0).toBeLessThanOrEqual((wanted.length + 1) * step);
    expect(client.stats().lastCloseCode).not.toBe(CloseCode.ABUSE);
  });
});

describe('subscribe rate limit: the retryAfterMs each refusal gets', () => {
  // Only what takeSubscribe reads of a session: its clock and maxChannels.
  const session = (clock: FakeClock, maxChannels = 100) => ({ ctx: { opts: { clock, maxChannels } } }) as unknown as Session;
  const spend = (s: Session) => {
    for (let i = 0; i < subscribeBurst(100); i++) expect(takeSubscribe(s)).toBe(0);
  };
  const step = 1000 / SUBSCRIBE_PER_SEC;

  it('refusals at one instant get consecutive slots, one refill interval apart, each of which finds a token', () => {
    const clock = new FakeClock(T0);
    const s = session(clock);
    spend(s);
    const hints = Array.from({ length: 5 }, () => takeSubscribe(s));
    expect(hints).toEqual([1, 2, 3, 4, 5].map((k) => k * step));
    for (const h of hints) {
      clock.advance(T0 + h - clock.now());
      expect(takeSubscribe(s)).toBe(0);
    }
  });

  it('a slot gone by is not carried over: the next refusal waits only for the next token', () => {
    const clock = new FakeClock(T0);
    const s = session(clock);
    spend(s);
    expect([takeSubscribe(s), takeSubscribe(s)]).toEqual([step, 2 * step]);
    clock.advance(10 * step);
    // 10 tokens back; 2 taken by the re-sends, 8 by new channels: then empty again.
    for (let i = 0; i < 10; i++) expect(takeSubscribe(s)).toBe(0);
    expect(takeSubscribe(s)).toBe(step);
  });

  it('a client that ignores its hints is told at most the time the bucket takes to fill', () => {
    const clock = new FakeClock(T0);
    const s = session(clock);
    spend(s);
    const fill = (subscribeBurst(100) * 1000) / SUBSCRIBE_PER_SEC;
    let last = 0;
    for (let i = 0; i < 2 * subscribeBurst(100); i++) last = takeSubscribe(s);
    expect(last).toBe(fill);
  });
});
