// A message above the client's maxPayloadBytes: ws closes the socket (it sends 1009 but
// reported 1006, like a dropped network), the client reconnected, the replay brought the
// message back, and so on for ever at the first backoff delay, with no error anywhere.
import { afterEach, describe, expect, it } from 'vitest';
import { isLifelineError, type LifelineError, type StateChange } from '@lifeline/core';
import { createNodeClient, type NodeClient } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();
let client: NodeClient | null = null;
afterEach(async () => {
  await client?.close();
  client = null;
});

describe('a message above maxPayloadBytes', () => {
  it('closes with 1009, is reported as MESSAGE_TOO_LARGE on each reconnect, and the backoff grows instead of restarting', async () => {
    const c = (client = createNodeClient({
      url: testServer.url,
      maxPayloadBytes: 1000,
      keepProcessAlive: false,
      reconnect: { jitter: 'none', initialDelayMs: 20, factor: 2, maxDelayMs: 10_000 },
    }));
    const errors: LifelineError[] = [];
    const closes: StateChange[] = [];
    c.on('error', (e) => errors.push(e));
    c.on('state', (s) => s.to === 'closed' && closes.push(s));
    const ch = c.channel('big');
    const iteration = ch.messages();
    void iteration.next().catch(() => {});
    await waitFor(() => ch.channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
    // Replayed from the channel's position after each reconnect.
    await publishHttp(testServer.httpUrl, 'big', 'x'.repeat(4000));
    await waitFor(() => closes.length >= 3, 5000, 'three closes');
    expect(closes.slice(0, 3).map((s) => s.closeCode)).toEqual([1009, 1009, 1009]);
    expect(closes.slice(0, 3).map((s) => s.retryInMs)).toEqual([20, 40, 80]);
    expect(errors.filter((e) => isLifelineError(e, 'MESSAGE_TOO_LARGE')).length).toBeGreaterThanOrEqual(3);
    expect(errors[0]!.message).toMatch(/maxPayloadBytes/);
  });
});
