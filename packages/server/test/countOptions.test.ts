// Count options checked where they are given: `createServer({ port: 1.5 })` failed later in
// `listen` with Node's RangeError (not the documented TypeError), `retention: 1.5` was
// accepted; `memoryBroker({ dedupeTtlMs: 0 })` (or -5, NaN) forgot every id at once, so a
// re-sent publish was stored twice, and `retention: NaN` kept every message.
import { describe, expect, it } from 'vitest';
import { createServer, memoryBroker } from '../src/index';

describe('createServer count options', () => {
  it.each([1.5, -1, 65_536, 70_000, Number.NaN, '8080'])('port %s rejects with a TypeError naming it, before listening', async (port) => {
    const err = await createServer({ port: port as number }).then(
      async (s) => {
        await s.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe(`createServer: port must be an integer from 0 to 65535, got ${String(port)}`);
  });

  it.each([0, 1.5, Number.NaN, Infinity])('retention %s rejects with a TypeError naming it', async (retention) => {
    await expect(createServer({ retention })).rejects.toThrow(new TypeError(`createServer: retention must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got ${String(retention)}`));
  });

  it('port 0 and retention 1 are accepted', async () => {
    const s = await createServer({ port: 0, retention: 1 });
    await s.close();
  });
});

describe('memoryBroker options', () => {
  it.each([
    ['retention', 0],
    ['retention', Number.NaN],
    ['retention', 2.5],
    ['dedupeWindow', 0],
    ['dedupeWindow', -3],
    ['dedupeWindow', Infinity],
  ] as const)('%s %s throws a RangeError naming it', (name, value) => {
    expect(() => memoryBroker({ [name]: value })).toThrow(new RangeError(`memory broker: ${name} must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got ${String(value)}`));
  });

  it.each([0, -5, Number.NaN, '600000'])('dedupeTtlMs %s throws a RangeError naming it', (ttl) => {
    expect(() => memoryBroker({ dedupeTtlMs: ttl as number })).toThrow(new RangeError(`memory broker: dedupeTtlMs must be a number > 0 or Infinity, got ${String(ttl)}`));
  });

  it('dedupeTtlMs Infinity keeps ids: a re-sent publish is acknowledged with its first offset', async () => {
    const b = memoryBroker({ dedupeTtlMs: Infinity });
    expect(await b.publish('c', 1, 'x')).toMatchObject({ offset: 1, duplicate: false });
    expect(await b.publish('c', 1, 'x')).toMatchObject({ offset: 1, duplicate: true });
    await b.close();
  });
});
