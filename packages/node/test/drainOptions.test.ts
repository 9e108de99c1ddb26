// drain() refuses bad options before doing anything: a close code core's close()
// would refuse (1012, …) used to be rejected only after consumers were ended and the
// client marked closed, leaving the socket open forever.
import { describe, expect, it } from 'vitest';
import { createNodeClient, isLifelineNodeError, memoryCheckpoint, type DrainOptions } from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { useTestServer } from './fixtures/testServer';

const testServer = useTestServer();

const bad: Array<[string, DrainOptions]> = [
  ['code 1012 (core refuses it)', { code: 1012 }],
  ['code 2999', { code: 2999 }],
  ['code 5000', { code: 5000 }],
  ['code 1000.5', { code: 1000.5 }],
  ['timeoutMs NaN', { timeoutMs: Number.NaN }],
  ['timeoutMs -1', { timeoutMs: -1 }],
  ['reason a number (it went out as its text)', { reason: 5 as never }],
  ['reason over 123 UTF-8 bytes (ws refuses it at close time)', { reason: 'é'.repeat(62) }],
];

describe('drain() with invalid options', () => {
  it.each(bad)('%s: rejects with BAD_OPTION and leaves the client working; a valid drain then works', async (_name, options) => {
    const store = memoryCheckpoint();
    const client = createNodeClient({ url: testServer.url, checkpoint: store });
    const channel = `bad-drain-${Math.random().toString(36).slice(2)}`;
    try {
      const got: number[] = [];
      const consuming = client.channel<number>(channel).consume((m) => void got.push(m.data));
      await waitFor(() => client.channel(channel).channel?.getSnapshot().state === 'subscribed', 5000, 'subscribed');
      const socket = client.transport.socket!;

      const error = await client.drain(options).then(() => null, (e: unknown) => e);
      expect(isLifelineNodeError(error, 'BAD_OPTION')).toBe(true);

      // Nothing happened: same socket still open, consumer still consuming, publishing allowed.
      expect(client.state).toBe('open');
      expect(client.transport.socket).toBe(socket);
      expect(socket.readyState).toBe(socket.OPEN);
      await client.channel<number>(channel).publish(1);
      await publishHttp(testServer.httpUrl, channel, 2);
      await waitFor(() => got.length === 2, 5000, 'both messages consumed');
      expect(got).toEqual([1, 2]);

      // The refused call did not become "the drain under way": a valid one still runs.
      const result = await client.drain({ timeoutMs: 5000 });
      expect(result).toMatchObject({ clean: true, unfinishedConsumers: 0 });
      expect(result.checkpoints[channel]?.offset).toBe(2);
      expect(client.state).toBe('closed');
      expect(client.transport.socket).toBeNull();
      await consuming;
    } finally {
      await client.close();
    }
  });
});
