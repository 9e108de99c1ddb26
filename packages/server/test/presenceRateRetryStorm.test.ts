// presence.enter refusals across many channels against the reference client. Every refused
// enter was told the same retryAfterMs (the time to the bucket's next token), the client
// sent each again after exactly its hint, one won per token and the rest were refused again:
// 100 channels entered three times (the third round past the 200 burst) reached the 1,000
// refusals of the flood limit in 160 ms of clock and the client was closed 4201 "presence
// flood". Each refusal now gets a slot of its own (SlottedBucket). Real sockets on port 0;
// both sides on one manual clock.
import { describe, expect, it } from 'vitest';
import { createClient } from '@lifeline/core';
import { createManualClock } from '@lifeline/core/testing';
import { createServer } from '../src/index';
import { SlottedBucket } from '../src/slottedBucket';
import { FakeClock } from './helpers/fakeClock';
import { closedAfterEach, T0 } from './helpers/coreClients';
import { waitFor } from './helpers/waitFor';

const { cores, servers } = closedAfterEach();

describe('presence rate limit: refused enters retrying on their hint', () => {
  it('100 channels entered three times (past the burst) all get entered, and the client is never closed as a flood', async () => {
    const clock = createManualClock(T0);
    const server = await createServer({ port: 0, clock, heartbeatMs: 3_600_000 });
    servers.push(server);
    const client = createClient({ url: `${server.url}/v1`, clock, lifecycle: false });
    cores.push(client);
    let refused = 0;
    client.on('error', (e) => {
      if (e.serverCode === 'RATE_LIMITED') refused++;
    });
    client.connect();
    await waitFor(() => client.state === 'open', 'open');
    const names = Array.from({ length: 100 }, (_, i) => `q${i}`);
    names.forEach((n) => client.channel(n).subscribe(() => {}));
    await waitFor(() => names.every((n) => client.channel(n).getSnapshot().state === 'subscribed'), 'subscribed');
    const closed = (): boolean => client.stats().lastCloseCode !== null;
    for (let r = 0; r < 3 && !closed(); r++) {
      let done = 0;
      const failures: unknown[] = [];
      names.forEach((n) => void client.channel(n).presence.enter({ r }).then(() => done++, (e: unknown) => (failures.push(e), done++)));
      for (let steps = 0; steps < 2000 && done < names.length && !closed(); steps++) {
        await new Promise((res) => setTimeout(res, 2));
        if (done < names.length) clock.advance(10);
      }
      expect({ round: r, done, failures }).toEqual({ round: r, done: names.length, failures: [] });
    }
    expect(client.stats().lastCloseCode).toBeNull();
    // Each refused enter came back in a slot of its own: about one refusal per enter past the burst.
    expect(refused).toBeLessThan(200);
  }, 60_000);
});

describe('SlottedBucket', () => {
  it('refusals at one instant get consecutive slots, one refill interval apart, capped at the fill time', () => {
    const clock = new FakeClock(T0);
    const b = new SlottedBucket(10, 4, clock);
    for (let i = 0; i < 4; i++) expect(b.take()).toBe(0);
    expect([b.take(), b.take(), b.take()]).toEqual([100, 200, 300]);
    for (let i = 0; i < 10; i++) b.take();
    expect(b.take()).toBe(400); // 4 tokens take 400 ms to come back: never told longer
    clock.advance(100);
    expect(b.take()).toBe(0);
  });
});
