import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type LifelineServer } from '../src/index';
import { waitFor } from './helpers/waitFor';
import { TestClient } from './helpers/wsClient';

let server: LifelineServer;
let client: TestClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.close();
});

describe('frame order on one connection', () => {
  it('a publish sent right behind a subscribe is delivered to that subscription', async () => {
    server = await createServer();
    client = await TestClient.connect(server.url);
    const channels = Array.from({ length: 10 }, (_, i) => `order:${i}`);
    // Both frames of each pair leave in the same tick, so the server reads them from one
    // chunk: the subscribe must fix its start position before the publish is stored.
    for (const [i, channel] of channels.entries()) {
      client.send({ type: 'sub', ref: 1000 + i, channel });
      client.send({ type: 'pub', ref: 2000 + i, channel, data: `m${i}`, id: `id-${i}` });
    }
    const c = client;
    await waitFor(() => c.frames.filter((f) => f.type === 'ack').length === channels.length || undefined, 'every ack');
    await waitFor(() => channels.every((ch) => c.msgs(ch).length === 1) || undefined, 'every own message delivered');
    for (const [i, channel] of channels.entries()) {
      expect(c.msgs(channel).map((m) => m.data)).toEqual([`m${i}`]);
      const subscribed = c.frames.find((f) => f.type === 'subscribed' && f.channel === channel);
      expect(subscribed?.offset).toBe(0);
    }
  });
});
