// A connection that closes hands each of its presence entries to the grace period, and on
// Redis each is marked held (Broker.presenceHold: one script per channel, the channel's keys
// sharing one hash tag). They were sent as one command each, one socket write each: a client
// present on 100 channels cost 100 writes to Redis at its close. The holds asked for in one
// turn now go as one pipeline (one write; still one script per channel, each atomic on its
// own channel). Counted through a wrapper of ioredis's sendCommand (MONITOR on the shared
// Redis disturbed other files). Real server on port 0, real sockets; the grace on a fake clock.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { PRESENCE_HOLD_LUA } from '../src/broker/redisScripts';
import { FakeClock } from './helpers/fakeClock';
import { useRedisServer } from './helpers/redisServer';
import { waitFor } from './helpers/waitFor';

const { available, prefix, start, connect, openBroker, openRedis } = await useRedisServer();
const HOLD_SHA = createHash('sha1').update(PRESENCE_HOLD_LUA).digest('hex');
const CHANNELS = 12;

/** Every hold script sent, with the pipeline it went in (`undefined`: sent on its own). */
function countHolds() {
  const sent: { pipeline: object | undefined }[] = [];
  const original = Redis.prototype.sendCommand;
  const spy = vi.spyOn(Redis.prototype, 'sendCommand').mockImplementation(function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const [command, stream] = args as unknown as [{ args: unknown[] }, { isPipeline?: boolean } | undefined];
    if (command.args[0] === HOLD_SHA || command.args[0] === PRESENCE_HOLD_LUA) sent.push({ pipeline: stream?.isPipeline ? stream : undefined });
    return original.apply(this, args);
  });
  return { sent, restore: () => spy.mockRestore() };
}

describe.skipIf(!available)('presence holds of a closing connection (Redis broker)', () => {
  it('go to Redis as one pipeline, not one command per channel, and each is stored', async () => {
    const clock = new FakeClock();
    const broker = openBroker();
    await start({ broker, clock, presenceGraceMs: 60_000 });
    const c = await connect({ clientId: 'holder' });
    const channels = Array.from({ length: CHANNELS }, (_, i) => `room:${i}`);
    for (const channel of channels) expect(await c.request({ type: 'presence.enter', channel })).toMatchObject({ type: 'presence.ok' });
    const conn = c.frames.find((f) => f.type === 'welcome')!.session as string;

    const { sent, restore } = countHolds();
    try {
      c.close();
      await waitFor(() => sent.length === CHANNELS, 'a hold per channel');
      // Every hold answered: each channel's entry carries its hold (the whole grace).
      let holds: Awaited<ReturnType<typeof broker.presenceHolds>>[] = [];
      for (let i = 0; i < 400; i++) {
        holds = await Promise.all(channels.map((ch) => broker.presenceHolds(ch, 'holder')));
        if (holds.every((h) => h?.[0]?.hold !== undefined)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const h of holds) expect(h).toEqual([{ connId: conn, ttlLeftMs: expect.any(Number), hold: { leftMs: expect.any(Number), totalMs: 60_000 } }]);
    } finally {
      restore();
    }
    expect(sent).toHaveLength(CHANNELS);
    expect(sent.every((s) => s.pipeline !== undefined)).toBe(true);
    expect(new Set(sent.map((s) => s.pipeline)).size).toBe(1);
  });

  it('a hold whose script errors fails alone: the others sent with it are stored', async () => {
    const broker = openBroker();
    await broker.presenceSet('ok:1', { clientId: 'x', connId: 'k1' }, 60_000);
    await broker.presenceSet('ok:2', { clientId: 'x', connId: 'k2' }, 60_000);
    // A key of the wrong type: the script's sweep of that channel errors (WRONGTYPE).
    await openRedis().set(`${prefix}{bad:1}:pres:exp`, 'not a sorted set');
    const { sent, restore } = countHolds();
    let results: PromiseSettledResult<void>[];
    try {
      results = await Promise.allSettled([
        broker.presenceHold('ok:1', 'x', 'k1', 5000),
        broker.presenceHold('bad:1', 'x', 'k3', 5000),
        broker.presenceHold('ok:2', 'x', 'k2', 5000),
        broker.presenceHold('gone:1', 'x', 'nope', 5000), // no entry: nothing written, no error
      ]);
    } finally {
      restore();
    }
    expect(sent).toHaveLength(4);
    expect(sent.every((s) => s.pipeline !== undefined)).toBe(true); // sent together
    expect(new Set(sent.map((s) => s.pipeline)).size).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect((await broker.presenceHolds('ok:1', 'x'))?.[0]?.hold?.totalMs).toBe(5000);
    expect((await broker.presenceHolds('ok:2', 'x'))?.[0]?.hold?.totalMs).toBe(5000);
    expect(await broker.presenceHolds('gone:1', 'x')).toEqual([]);
  });
});
