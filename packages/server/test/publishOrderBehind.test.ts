// A publish refused behind a block (its refusal still on the way to the client) must be
// stored before anything published after it, also once the blocked publish came back.
// Found in a chaos trial: pub 5 refused RATE_LIMITED, 6–8 refused behind it; the client
// re-sent 5 and 6 and sent 9 and 10 before the refusals of 7 and 8 reached it; the
// server lifted the block when 5 came back and stored 9 and 10 ahead of 7 and 8.
import { describe, expect, it } from 'vitest';
import { failOnceBroker } from './helpers/failOnceBroker';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import type { Frame, TestClient } from './helpers/wsClient';
import { waitFor } from './helpers/waitFor';

const { start, connect } = useServer();

/** The channel's log as a fresh subscriber replays it from the start. */
async function storedIds(channel: string, count: number): Promise<string[]> {
  const probe = await connect();
  const { epoch } = await probe.subscribe(channel);
  const reader = await connect();
  await reader.subscribe(channel, { offset: 0, epoch: epoch as string });
  await waitFor(() => reader.msgs(channel).length >= count || undefined, `${count} messages of ${channel}`);
  return reader.msgs(channel).map((m) => m.id as string);
}

let ref = 1000;
/** Sends `ids` as pubs back to back (pipelined) and returns their answers, in order. */
async function pipeline(c: TestClient, ...ids: string[]): Promise<Frame[]> {
  const refs = ids.map((id) => {
    const r = ++ref;
    c.send({ type: 'pub', ref: r, channel: 'orders', data: id, id });
    return r;
  });
  return Promise.all(refs.map((r) => waitFor(() => c.frames.find((f) => f.ref === r), `answer to #${r}`)));
}
const kinds = (answers: Frame[]) => answers.map((a) => (a.type === 'ack' ? 'ack' : a.code));

describe('publish order behind a block', () => {
  it('RATE_LIMITED: publishes refused behind the blocked one keep their place after it is stored (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 4 });
    const c = await connect();
    expect(kinds(await pipeline(c, 'p1', 'p2', 'p3', 'p4'))).toEqual(['ack', 'ack', 'ack', 'ack']);
    // p5 finds the bucket empty; p6–p8 were already on the wire
    expect(kinds(await pipeline(c, 'p5', 'p6', 'p7', 'p8'))).toEqual(Array(4).fill('RATE_LIMITED'));
    clock.advance(4000); // four tokens: enough to store p9 and p10 if they were let through
    // the client heard of p5 and p6 only, re-sends them and goes on with new ones
    const [a5, a6, a9, a10] = await pipeline(c, 'p5', 'p6', 'p9', 'p10');
    expect([a5!.type, a6!.type]).toEqual(['ack', 'ack']);
    // p7 is due (its re-send is likely on the way): come back soon, not in a second
    expect(a9).toMatchObject({ type: 'error', code: 'RATE_LIMITED', message: 'publish p7 on orders must be stored first', retryAfterMs: 10 });
    expect(a10).toMatchObject({ type: 'error', code: 'RATE_LIMITED', message: 'publish p7 on orders must be stored first', retryAfterMs: 10 });
    // p7 and p8's refusals arrive; they are re-sent, then p9 and p10
    expect(kinds(await pipeline(c, 'p7', 'p8'))).toEqual(['ack', 'ack']);
    clock.advance(2000);
    expect(kinds(await pipeline(c, 'p9', 'p10'))).toEqual(['ack', 'ack']);
    expect(await storedIds('orders', 10)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10']);
  });

  it('BROKER_UNAVAILABLE: publishes refused behind the failed one keep their place after it is stored', async () => {
    const { broker, failNext } = failOnceBroker();
    await start({ broker });
    const c = await connect();
    expect(kinds(await pipeline(c, 'p1'))).toEqual(['ack']);
    failNext();
    expect(kinds(await pipeline(c, 'p2', 'p3', 'p4'))).toEqual(Array(3).fill('BROKER_UNAVAILABLE'));
    const answers = await pipeline(c, 'p2', 'p3', 'p5');
    expect(kinds(answers)).toEqual(['ack', 'ack', 'BROKER_UNAVAILABLE']);
    expect(answers[2]!.message).toBe('publish p4 on orders must be stored first');
    expect(kinds(await pipeline(c, 'p4', 'p5'))).toEqual(['ack', 'ack']);
    expect(await storedIds('orders', 5)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('the blocked publish refused again keeps those behind it (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 1 });
    const c = await connect();
    expect(kinds(await pipeline(c, 'p1', 'p2', 'p3'))).toEqual(['ack', 'RATE_LIMITED', 'RATE_LIMITED']);
    clock.advance(500); // too early: p2 is refused by the bucket again
    expect(await pipeline(c, 'p2')).toMatchObject([{ code: 'RATE_LIMITED', message: 'publish rate limit reached', retryAfterMs: 500 }]);
    clock.advance(500);
    const [a2, a4] = await pipeline(c, 'p2', 'p4');
    expect(a2!.type).toBe('ack');
    expect(a4).toMatchObject({ code: 'RATE_LIMITED', message: 'publish p3 on orders must be stored first' });
    clock.advance(1000);
    expect(kinds(await pipeline(c, 'p3'))).toEqual(['ack']);
    clock.advance(1000);
    expect(kinds(await pipeline(c, 'p4'))).toEqual(['ack']);
    expect(await storedIds('orders', 4)).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  it('an id re-sent twice is waited for once: a copy of a stored one does not hold the channel (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 2 });
    const c = await connect();
    expect(kinds(await pipeline(c, 'p1', 'p2', 'p3', 'p4'))).toEqual(['ack', 'ack', 'RATE_LIMITED', 'RATE_LIMITED']);
    clock.advance(2000);
    // p4 twice behind p3, then p3 twice: the second p3 comes after p3 was stored
    expect(kinds(await pipeline(c, 'p4', 'p4', 'p3', 'p3'))).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'ack', 'RATE_LIMITED']);
    expect(kinds(await pipeline(c, 'p4'))).toEqual(['ack']);
    clock.advance(1000);
    // the block is over: neither a second p4 nor the second p3 is waited for
    expect(kinds(await pipeline(c, 'p5'))).toEqual(['ack']);
    expect(await storedIds('orders', 5)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('a client that gave up on the publishes refused behind: the block still lapses 5 s after the next one fell due (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 1 });
    const c = await connect();
    expect(kinds(await pipeline(c, 'p1', 'p2', 'p3', 'p4'))).toEqual(['ack', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    clock.advance(1000);
    expect(kinds(await pipeline(c, 'p2'))).toEqual(['ack']); // p3, then p4, never come back
    clock.advance(4999);
    expect(await pipeline(c, 'p5')).toMatchObject([{ code: 'RATE_LIMITED', message: 'publish p3 on orders must be stored first', retryAfterMs: 1000 }]);
    clock.advance(1);
    expect(kinds(await pipeline(c, 'p5'))).toEqual(['ack']); // the whole block lapsed, p4 included
    expect(await storedIds('orders', 3)).toEqual(['p1', 'p2', 'p5']);
  });

  /**
   * p1 stored, p2 refused by the bucket (due in 1 s), p3 and p4 refused behind it; the
   * client gives up on p2 but keeps re-sending p3 and p4 whenever told to, until p2 lapses
   * (6 s after the start). Returns at that moment.
   */
  async function lapseWithTwoBehind(): Promise<{ clock: FakeClock; c: TestClient }> {
    const clock = new FakeClock();
    await start({ clock, publishPerSec: 1, publishBurst: 1 });
    const c = await connect();
    expect(kinds(await pipeline(c, 'p1', 'p2', 'p3', 'p4'))).toEqual(['ack', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    for (let t = 1000; t <= 5000; t += 1000) {
      clock.advance(1000);
      const answers = await pipeline(c, 'p3', 'p4');
      expect(answers.map((a) => a.message)).toEqual(Array(2).fill('publish p2 on orders must be stored first'));
    }
    // last told at 5 s to come back in 1 s (the most): due when p2 lapses
    expect(c.frames.at(-1)).toMatchObject({ retryAfterMs: 1000 });
    clock.advance(1000);
    return { clock, c };
  }

  it('a lapse gives up on the blocked publish only: those refused behind it are still stored in order (fake clock)', async () => {
    const { clock, c } = await lapseWithTwoBehind();
    // p4's re-send comes first: p3, next in line, is awaited from its own due time (now)
    expect(await pipeline(c, 'p4')).toMatchObject([{ code: 'RATE_LIMITED', message: 'publish p3 on orders must be stored first', retryAfterMs: 10 }]);
    expect(kinds(await pipeline(c, 'p3'))).toEqual(['ack']);
    clock.advance(1000);
    expect(kinds(await pipeline(c, 'p4'))).toEqual(['ack']);
    clock.advance(1000);
    expect(kinds(await pipeline(c, 'p5'))).toEqual(['ack']); // the block is over
    expect(await storedIds('orders', 4)).toEqual(['p1', 'p3', 'p4', 'p5']);
  });

  it('a publish given up on that comes back late is stored as it comes, neither blocked nor blocking (fake clock)', async () => {
    const { clock, c } = await lapseWithTwoBehind();
    // p4 sets off the lapse and is refused behind p3; p2 is back, late, and goes through
    expect(kinds(await pipeline(c, 'p4', 'p2'))).toEqual(['RATE_LIMITED', 'ack']);
    clock.advance(1000);
    // the block still awaits p3, then p4; a copy of p2 refused by the bucket does not take their place
    const [a3, a2] = await pipeline(c, 'p3', 'p2');
    expect(a3!.type).toBe('ack');
    expect(a2).toMatchObject({ code: 'RATE_LIMITED', message: 'publish rate limit reached' });
    clock.advance(1000);
    expect(await pipeline(c, 'p5')).toMatchObject([{ code: 'RATE_LIMITED', message: 'publish p4 on orders must be stored first' }]);
    expect(kinds(await pipeline(c, 'p4', 'p2'))).toEqual(['ack', 'RATE_LIMITED']);
    clock.advance(1000);
    expect(await pipeline(c, 'p2')).toMatchObject([{ type: 'ack', duplicate: true }]); // not waited for: the copy goes through
    clock.advance(1000);
    expect(kinds(await pipeline(c, 'p5'))).toEqual(['ack']);
    expect(await storedIds('orders', 5)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });
});
