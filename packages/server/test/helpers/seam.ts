import { expect } from 'vitest';
import { waitFor } from './waitFor';
import { TestClient, type Frame } from './wsClient';

/** Sends `count` publishes in batches of `batch`, yielding `pauseMs` between batches (load shaping, not waiting). */
export async function publishMany(p: TestClient, channel: string, from: number, count: number, batch = count, pauseMs = 0): Promise<Frame> {
  const start = p.frames.length;
  for (let i = from; i < from + count; i++) {
    p.send({ type: 'pub', ref: 100_000 + i, channel, data: { i }, id: `p-${i}` });
    if ((i - from + 1) % batch === 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  const lastRef = 100_000 + from + count - 1;
  return waitFor(() => p.frames.slice(start).find((f) => f.type === 'ack' && f.ref === lastRef), 'the last ack', 15_000);
}

/** Asserts `c` got exactly offsets (since, upTo] on `channel`, in order, once each. */
export function expectContiguous(c: TestClient, channel: string, since: number, upTo: number): void {
  const offsets = c.msgs(channel).map((m) => m.offset);
  const expected = Array.from({ length: upTo - since }, (_, i) => since + 1 + i);
  expect(offsets).toEqual(expected);
}

/**
 * Six subscribers with different `since` positions subscribe while a publisher floods
 * 1,500 messages; each must end with exactly (since, 1800], in order, once each.
 * Sockets are pushed to `track` so the caller closes them.
 */
export async function seamUnderFlood(url: string, track: TestClient[]): Promise<void> {
  const connect = async () => {
    const c = await TestClient.connect(url);
    track.push(c);
    return c;
  };
  const p = await connect();
  const head = await publishMany(p, 'flood', 0, 300); // offsets 1..300
  const epoch = head.epoch as string;
  const subscribers = await Promise.all(Array.from({ length: 6 }, () => connect()));
  const sinces = [0, 50, 120, 200, 299, 300];
  // start the flood, and subscribe while it is in full swing
  const flood = publishMany(p, 'flood', 300, 1500, 25, 4);
  const replies = subscribers.map(async (s, i) => {
    await new Promise((r) => setTimeout(r, 10 + i * 20));
    return s.subscribe('flood', { offset: sinces[i]!, epoch });
  });
  const subs = await Promise.all(replies);
  const last = await flood;
  expect(last.offset).toBe(1800);
  for (const [i, s] of subscribers.entries()) {
    const reply = subs[i]!;
    expect(reply).toMatchObject({ recovered: true, replay: reply.offset - sinces[i]! });
    await s.next('msg', (m: Frame) => m.offset === 1800, 0, 15_000);
    expectContiguous(s, 'flood', sinces[i]!, 1800);
  }
  // at least one subscription must really have overlapped the flood for the test to mean anything
  expect(subs.some((r) => r.offset > 300 && r.offset < 1800)).toBe(true);
}
