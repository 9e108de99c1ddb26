import { describe, expect, it } from 'vitest';
import { createServer, memoryBroker, redisBroker, type ServerOptions } from '../src/index';
import { closestKey } from '../src/broker/optionKeys';

// A misspelt option kept its default without a word (the library logs nothing by default):
// `authSecert` ran an OPEN server, `redisBroker({ keyprefix })` shared the default
// `lifeline:` keys with every other app on the Redis database.

describe('unknown option keys are refused, naming the closest known one', () => {
  it.each([
    [{ authSecert: 'x'.repeat(40) }, 'authSecert', 'authSecret'],
    [{ retension: 3 }, 'retension', 'retention'],
    [{ heartbeatMS: 100 }, 'heartbeatMS', 'heartbeatMs'],
    [{ maxconnections: 1 }, 'maxconnections', 'maxConnections'],
    // Undefined is still a misspelt name (the same line with a value set would be ignored).
    [{ authSecert: undefined }, 'authSecert', 'authSecret'],
  ])('createServer(%j) rejects with a TypeError before listening', async (options, key, meant) => {
    const started = createServer(options as ServerOptions);
    await expect(started).rejects.toThrow(TypeError);
    await expect(started).rejects.toThrow(`createServer: unknown option "${key}" (did you mean ${meant}?)`);
  });

  it('a key like no option is named without a suggestion, with the list of options', async () => {
    await expect(createServer({ zzzzzz: 1 } as ServerOptions)).rejects.toThrow(/^createServer: unknown option "zzzzzz"; its options: port, host, .*authSecret/);
  });

  it('memoryBroker({ retension }) throws a TypeError', () => {
    expect(() => memoryBroker({ retension: 3 } as never)).toThrow(TypeError);
    expect(() => memoryBroker({ retension: 3 } as never)).toThrow('memory broker: unknown option "retension" (did you mean retention?)');
  });

  it('redisBroker({ keyprefix }) throws a TypeError before opening any connection; an ioredis option points at redisOptions', () => {
    // Refused before connecting: nothing to close, whether or not Redis runs.
    expect(() => redisBroker({ url: 'redis://127.0.0.1:1', keyprefix: 'x:' } as never)).toThrow(TypeError);
    expect(() => redisBroker({ url: 'redis://127.0.0.1:1', keyprefix: 'x:' } as never)).toThrow('redis broker: unknown option "keyprefix" (did you mean keyPrefix?)');
    expect(() => redisBroker({ url: 'redis://127.0.0.1:1', lazyConnect: true } as never)).toThrow(/unknown option "lazyConnect"; .*\. ioredis' own options go in redisOptions$/);
  });

  it('every documented option is still accepted, each also as undefined', async () => {
    const all: { [K in keyof Required<ServerOptions>]: undefined } = {
      port: undefined, host: undefined, broker: undefined, ownsBroker: undefined, retention: undefined, heartbeatMs: undefined,
      maxHandshakesPerSec: undefined, maxConnections: undefined, authSecret: undefined, echo: undefined, metrics: undefined,
      allowedOrigins: undefined, tls: undefined, maxFrameBytes: undefined, maxChannels: undefined, publishPerSec: undefined,
      publishBurst: undefined, httpPublishPerSec: undefined, httpPublishBurst: undefined, maxPresenceInfoBytes: undefined,
      maxPresenceMembers: undefined, presenceGraceMs: undefined, handshakeTimeoutMs: undefined, httpTimeoutMs: undefined,
      drainTimeoutMs: undefined, drainDelayMs: undefined, maxBufferedBytes: undefined, maxReplayBytes: undefined,
      replayStallMs: undefined, faults: undefined, clock: undefined, logger: undefined,
    };
    const server = await createServer(all);
    await server.close();
    const given = await createServer({ port: 0, host: '127.0.0.1', retention: 5, heartbeatMs: 1000, maxConnections: 10, authSecret: 's'.repeat(32), echo: true, metrics: false, faults: false });
    await given.close();
    const mem = memoryBroker({ retention: undefined, dedupeWindow: undefined, dedupeTtlMs: undefined, maxRetainedBytes: undefined, maxIdleChannels: undefined, clock: undefined });
    await mem.close();
  });

  it('closestKey: another case, or up to 2 edits (a swap is one); nothing further off', () => {
    const known = ['retention', 'keyPrefix', 'authSecret'];
    expect(closestKey('KEYPREFIX', known)).toBe('keyPrefix');
    expect(closestKey('retnetion', known)).toBe('retention');
    expect(closestKey('authScret', known)).toBe('authSecret');
    expect(closestKey('secret', known)).toBeUndefined();
  });
});
