// Publish refusals across many channels of one connection, re-sent on their hints. Every
// publish refused by the rate limit was told the same retryAfterMs (the time to the
// bucket's next token): a client that re-sent each after exactly its hint brought them all
// back at one instant, one was stored per token and the rest were refused again, round
// after round: 100 channels refused together made 100 + 99 + 98 + … refusals, past the
// 1,000 of the flood limit, and a client doing only what it was told was closed 4201
// "publish flood". Each refusal now gets a slot of its own (SlottedBucket), as `sub` and
// `presence.enter` refusals do. Real sockets on port 0; the server on a fake clock.
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@lifeline/core/protocol';
import { SlottedBucket } from '../src/slottedBucket';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import type { Frame, TestClient } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();
const PER_SEC = 100;
const BURST = 200;

/** Sends each publish with a fresh ref, pipelined, and returns the answers in order (none once the socket closed). */
async function publishAll(c: TestClient, pubs: { channel: string; id: string }[]): Promise<Frame[] | undefined> {
  const refs = pubs.map(({ channel, id }) => {
    const ref = c.nextRef();
    c.send({ type: 'pub', ref, channel, data: id, id });
    return ref;
  });
  const answer = (ref: number) => c.frames.find((f) => f.ref === ref);
  await waitFor(() => c.closed !== undefined || refs.every(answer), `answers to ${refs.length} publishes`);
  return c.closed ? undefined : refs.map((ref) => answer(ref)!);
}

describe('publish rate limit: publishes refused together, re-sent on their hints', () => {
  it('100 channels refused at one instant each get a slot of their own: refused once, all stored, never closed as a flood', async () => {
    const clock = new FakeClock();
    await start({ clock, heartbeatMs: 3_600_000, publishPerSec: PER_SEC, publishBurst: BURST });
    const c = await connect();
    const warm = await publishAll(c, Array.from({ length: BURST }, (_, i) => ({ channel: 'warm', id: `w${i}` })));
    expect(warm?.every((f) => f.type === 'ack')).toBe(true);

    // One publish on each of 100 channels, the bucket empty: all refused at the same instant.
    const due = new Map<string, number>(); // channel → when its hint says to re-send
    const refusedPer = new Map<string, number>();
    const firstHints: number[] = [];
    const channels = Array.from({ length: 100 }, (_, i) => `s${i}`);
    const first = await publishAll(c, channels.map((channel) => ({ channel, id: `${channel}-1` })));
    first!.forEach((f, i) => {
      expect(f).toMatchObject({ type: 'error', code: 'RATE_LIMITED', channel: channels[i] });
      due.set(channels[i]!, clock.now() + (f.retryAfterMs as number));
      refusedPer.set(channels[i]!, 1);
      firstHints.push(f.retryAfterMs as number);
    });

    // A client that re-sends each publish at exactly its hint, nothing earlier, nothing later.
    for (let round = 0; round < 400 && due.size > 0 && !c.closed; round++) {
      const at = Math.min(...due.values());
      clock.advance(at - clock.now());
      const now = [...due].filter(([, t]) => t <= clock.now()).map(([channel]) => channel);
      const answers = await publishAll(c, now.map((channel) => ({ channel, id: `${channel}-1` })));
      answers?.forEach((f, i) => {
        const channel = now[i]!;
        if (f.type === 'ack') return due.delete(channel);
        expect(f).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
        refusedPer.set(channel, refusedPer.get(channel)! + 1);
        due.set(channel, clock.now() + (f.retryAfterMs as number));
      });
    }
    expect({ closed: c.closed, left: due.size }).toEqual({ closed: undefined, left: 0 });
    // Slots one refill interval apart: each re-send found a token, none was refused twice.
    expect([...refusedPer.values()].every((n) => n === 1)).toBe(true);
    expect(firstHints).toEqual(channels.map((_, k) => ((k + 1) * 1000) / PER_SEC));
    expect(c.closed?.code).not.toBe(CloseCode.ABUSE);
  }, 60_000);
});

describe('SlottedBucket.take(slotAt): a request re-sent before the slot it was told', () => {
  it('keeps its slot when refused again, instead of taking a new one behind every other refusal', () => {
    const clock = new FakeClock();
    const b = new SlottedBucket(PER_SEC, 4, clock); // fills in 40 ms: no slot is capped here
    for (let i = 0; i < 4; i++) expect(b.take()).toBe(0);
    const start = clock.now();
    expect([b.take(), b.take(), b.take()]).toEqual([10, 20, 30]);
    clock.advance(5);
    expect(b.take(start + 30)).toBe(25); // its own slot, not a fourth one (35)
    expect(b.take()).toBe(35); // a new refusal still queues behind the three slots
  });

  it('takes a new slot when its own is past or the next token now comes after it', () => {
    const clock = new FakeClock();
    const b = new SlottedBucket(PER_SEC, 4, clock);
    for (let i = 0; i < 4; i++) expect(b.take()).toBe(0);
    const start = clock.now();
    expect(b.take()).toBe(10);
    expect(b.take(start)).toBe(20); // a slot already gone: a new one
    expect(b.take(start + 5)).toBe(30); // before the next token: a slot it cannot keep
  });
});
