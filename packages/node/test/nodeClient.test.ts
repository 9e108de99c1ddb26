import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { signToken } from '@lifeline/server';
import {
  createNodeClient,
  fileCheckpoint,
  isLifelineNodeError,
  memoryCheckpoint,
  redisCheckpoint,
  type CheckpointStore,
  type NodeClient,
} from '../src/index';
import { waitFor } from './fixtures/fakeChannel';
import { publishHttp } from './fixtures/publishHttp';
import { startTestServer, useTestServer } from './fixtures/testServer';
import { useTracker } from './fixtures/tracker';

const testServer = useTestServer({ faults: true });
const clients = useTracker();
let dir: string;
const client = (o: Parameters<typeof createNodeClient>[0]) => {
  const c = createNodeClient({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...o });
  clients.add(c);
  return c;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-node-client-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const subscribed = (c: NodeClient, name: string) =>
  waitFor(() => c.channel(name).channel?.getSnapshot().state === 'subscribed', 10_000, `${name} subscribed`);

async function publishRange(channel: string, from: number, to: number) {
  for (let n = from; n <= to; n++) await publishHttp(testServer.httpUrl, channel, { n }, `${channel}-${n}`);
}

describe('createNodeClient against the reference server', () => {
  it('sends custom headers on the upgrade request through core', async () => {
    const requests: IncomingMessage[] = [];
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws, req) => {
      requests.push(req);
      ws.close(1000);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const c = client({
      url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1`,
      headers: { authorization: 'Bearer svc-token' },
    });
    await waitFor(() => requests.length > 0, 10_000, 'upgrade');
    expect(requests[0]!.headers.authorization).toBe('Bearer svc-token');
    expect(c.transport.stats.pauses).toBe(0);
    await c.close();
    await new Promise<void>((r) => wss.close(() => http.close(() => r())));
  });

  async function resumeScenario(channelName: string, store: () => CheckpointStore) {
    const a = client({ url: testServer.url, checkpoint: store() });
    const ac = new AbortController();
    const got: number[] = [];
    const run = a.channel<{ n: number }>(channelName).consume(
      (m) => {
        got.push(m.data.n);
        if (got.length === 5) ac.abort();
      },
      { signal: ac.signal },
    );
    await subscribed(a, channelName);
    await publishRange(channelName, 1, 5);
    await run;
    await a.close();
    expect(got).toEqual([1, 2, 3, 4, 5]);

    await publishRange(channelName, 6, 10);
    const b = client({ url: testServer.url, checkpoint: store() });
    const resumed: number[] = [];
    for await (const m of b.channel<{ n: number }>(channelName).messages()) {
      resumed.push(m.data.n);
      if (m.data.n === 10) {
        m.ack();
        break;
      }
    }
    expect(b.channel(channelName).resumedFrom?.offset).toBe(5);
    expect(resumed).toEqual([6, 7, 8, 9, 10]);
  }

  it('resumes from a file checkpoint in a new client: exactly the messages after the last acknowledged one', async () => {
    const path = join(dir, 'resume.json');
    await resumeScenario('resume', () => fileCheckpoint(path));
  });

  it('resumes from a Redis checkpoint in a new client (real Redis)', async (ctx) => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      const reason = `Redis at 127.0.0.1:6379 does not answer (${(error as Error).message})`;
      if (process.env.LIFELINE_REQUIRE_REDIS === '1') throw new Error(reason);
      console.warn(`[node] skipping the Redis resume test: ${reason}`);
      return ctx.skip(reason);
    }
    const key = `lifeline:test:node:${randomUUID()}:checkpoints`;
    try {
      await resumeScenario('resume-redis', () => redisCheckpoint(redis, key));
      expect(JSON.parse((await redis.hget(key, 'resume-redis'))!)).toMatchObject({ offset: 10 });
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });

  it('loses and duplicates nothing across dropped connections (core replays from the position)', async () => {
    const c = client({ url: testServer.url, checkpoint: memoryCheckpoint() });
    const it = c.channel<{ n: number }>('drops').messages();
    const got: number[] = [];
    const loop = (async () => {
      for await (const m of it) {
        got.push(m.data.n);
        if (got.length === 60) break;
      }
    })();
    await subscribed(c, 'drops');
    await publishRange('drops', 1, 20);
    await waitFor(() => got.length >= 10, 10_000, 'first messages');
    testServer.server.faults!.dropAll();
    await publishRange('drops', 21, 40);
    await waitFor(() => c.state === 'open' && c.channel('drops').channel?.getSnapshot().state === 'subscribed');
    testServer.server.faults!.dropAll();
    await publishRange('drops', 41, 60);
    await loop;
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(c.stats().reconnects).toBeGreaterThanOrEqual(1);
  });

  it("stops with GAP after a server restart lost the log; with onGap 'continue' the checkpoint moves to the new epoch", async () => {
    const store = memoryCheckpoint();
    const c = client({ url: testServer.url, checkpoint: store });
    const ch = c.channel<{ n: number }>('restart');
    const gaps: unknown[] = [];
    const got: number[] = [];
    const it = ch.messages({ onGap: (g) => void gaps.push(g) });
    const loop = (async () => {
      for await (const m of it) {
        got.push(m.data.n);
        if (m.data.n === 103) break;
        m.ack();
      }
    })();
    await subscribed(c, 'restart');
    await publishRange('restart', 1, 3);
    await waitFor(() => got.length === 3);
    const oldEpoch = store.saved.get('restart')?.epoch;
    await testServer.server.faults!.restart();
    await waitFor(() => gaps.length === 1, 10_000, 'gap');
    await publishHttp(testServer.httpUrl, 'restart', { n: 101 });
    await publishHttp(testServer.httpUrl, 'restart', { n: 102 });
    await publishHttp(testServer.httpUrl, 'restart', { n: 103 });
    await loop;
    expect(got).toEqual([1, 2, 3, 101, 102, 103]);
    const saved = store.saved.get('restart')!;
    expect(saved.epoch).not.toBe(oldEpoch);
    expect(saved.offset).toBe(2);

    // A new consumer resuming from the lost epoch gets the gap again: with the default policy it stops loudly.
    const d = client({ url: testServer.url, checkpoint: memoryCheckpoint({ restart: { offset: 3, epoch: oldEpoch! } }) });
    const error = await (async () => {
      for await (const _ of d.channel('restart').messages()) {
        /* nothing expected */
      }
    })().then(() => null, (e: unknown) => e);
    expect(isLifelineNodeError(error, 'GAP')).toBe(true);
  });

  it('ends the iteration with the server\'s error when the subscribe is refused (no silent hang)', async () => {
    const secret = 'node-adapter-test-secret';
    const guarded = await startTestServer({ authSecret: secret });
    try {
      const c = client({ url: guarded.url, token: signToken({ sub: 'svc', subscribe: ['billing:*'] }, secret) });
      const error = await (async () => {
        for await (const _ of c.channel('orders').messages()) {
          /* nothing may arrive */
        }
      })().then(() => null, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'LifelineError', code: 'SERVER_ERROR', serverCode: 'FORBIDDEN' });
      await c.close();
    } finally {
      await guarded.close();
    }
  });

  it('drain() with a consumer stuck past timeoutMs: not clean, message left unacknowledged, socket closed with 1001', async () => {
    const store = memoryCheckpoint();
    const c = client({ url: testServer.url, checkpoint: store });
    const entered: number[] = [];
    const run = c.channel<{ n: number }>('stuck').consume((m) => {
      entered.push(m.data.n);
      if (m.data.n === 2) return new Promise<void>(() => {}); // never finishes
    });
    await subscribed(c, 'stuck');
    await publishRange('stuck', 1, 3);
    await waitFor(() => entered.length === 2);
    const socket = c.transport.socket!;
    const code = new Promise<number>((resolve) => socket.once('close', (cc: number) => resolve(cc)));
    const result = await c.drain({ timeoutMs: 300 });
    expect(result).toMatchObject({ clean: false, unfinishedConsumers: 1 });
    expect(result.checkpoints.stuck?.offset).toBe(1);
    expect(store.saved.get('stuck')?.offset).toBe(1);
    expect(await code).toBe(1001);
    expect(c.state).toBe('closed');
    await expect(c.channel('stuck').publish({ n: 9 })).rejects.toSatisfy((e: unknown) => isLifelineNodeError(e, 'CLIENT_CLOSED'));
    void run;
  });
});
