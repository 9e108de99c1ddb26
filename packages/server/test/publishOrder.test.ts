// One publisher's messages are stored in publish order, even when one of them is refused
// with a retryable code while later ones are already on the wire.
import { describe, expect, it } from 'vitest';
import { failOnceBroker } from './helpers/failOnceBroker';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import type { TestClient } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();
/** The channel's log as a fresh subscriber replays it from the start. */
async function storedIds(channel: string, count: number): Promise<string[]> {
  const reader = await connect();
  await reader.subscribe(channel, { offset: 0, epoch: (await epochOf(channel)) as string });
  await waitFor(() => reader.msgs(channel).length >= count || undefined, `${count} messages of ${channel}`);
  return reader.msgs(channel).map((m) => m.id as string);
}
async function epochOf(channel: string): Promise<unknown> {
  const c = await connect();
  return (await c.subscribe(channel)).epoch;
}
/** Sends a pub without waiting; the answer is read later with `answer`. */
const send = (c: TestClient, ref: number, id: string) => c.send({ type: 'pub', ref, channel: 'orders', data: id, id });
const answerOf = (c: TestClient, ref: number) => waitFor(() => c.frames.find((f) => f.ref === ref), `answer to #${ref}`);

describe('publish order after a retryable refusal', () => {
  it('RATE_LIMITED: a later publish is refused until the refused one is re-sent, so the log keeps publish order (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 1 });
    const c = await connect();
    expect((await c.publish('orders', 'p1', 'p1')).type).toBe('ack');
    expect(await c.publish('orders', 'p2', 'p2')).toMatchObject({ type: 'error', code: 'RATE_LIMITED', retryAfterMs: 1000 });
    clock.advance(1000); // the bucket has a token again: without the block, p3 would take it
    expect(await c.publish('orders', 'p3', 'p3')).toMatchObject({ type: 'error', code: 'RATE_LIMITED', channel: 'orders' });
    expect((await c.publish('orders', 'p2', 'p2')).type).toBe('ack');
    clock.advance(1000);
    expect((await c.publish('orders', 'p3', 'p3')).type).toBe('ack');
    expect(await storedIds('orders', 3)).toEqual(['p1', 'p2', 'p3']);
  });

  it('BROKER_UNAVAILABLE: a pipelined publish behind a failed one is refused, not stored ahead of it', async () => {
    const { broker, failNext } = failOnceBroker();
    await start({ broker });
    const c = await connect();
    expect((await c.publish('orders', 'p1', 'p1')).type).toBe('ack');
    failNext();
    send(c, 902, 'p2');
    send(c, 903, 'p3'); // already on the wire when p2 fails; the broker is back for it
    expect(await answerOf(c, 902)).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE' });
    expect(await answerOf(c, 903)).toMatchObject({ type: 'error', code: 'BROKER_UNAVAILABLE' });
    expect((await c.publish('orders', 'p2', 'p2')).type).toBe('ack');
    expect((await c.publish('orders', 'p3', 'p3')).type).toBe('ack');
    expect(await storedIds('orders', 3)).toEqual(['p1', 'p2', 'p3']);
  });

  it('the block lapses 5 s after the retry was due, for a client that gave up on the refused publish (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 1 });
    const c = await connect();
    expect((await c.publish('orders', 'p1', 'p1')).type).toBe('ack');
    expect((await c.publish('orders', 'p2', 'p2')).type).toBe('error');
    clock.advance(1000 + 4999);
    // p2 was due and did not come: p3 is told to wait a second, not to hammer
    expect(await c.publish('orders', 'p3', 'p3')).toMatchObject({ type: 'error', code: 'RATE_LIMITED', retryAfterMs: 1000 });
    clock.advance(1);
    expect((await c.publish('orders', 'p3', 'p3')).type).toBe('ack');
    expect(await storedIds('orders', 2)).toEqual(['p1', 'p3']);
  });
});
