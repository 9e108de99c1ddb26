// `keepProcessAlive: 'false'` was refused with "must be a boolean (got false)": a string
// printed bare reads as the value it is not. Every got-value of a Node option error now
// shows a string quoted.
import { describe, expect, it } from 'vitest';
import { createNodeClient, fileCheckpoint, redisCheckpoint, type NodeClientOptions } from '../src/index';
import { showValue } from '../src/errors';

const url = 'ws://127.0.0.1:1/v1';
const create = (extra: Record<string, unknown>) => () =>
  createNodeClient({ url, autoConnect: false, ...extra } as unknown as NodeClientOptions);

describe('option errors quote a string they got', () => {
  it.each([
    [{ keepProcessAlive: 'false' }, 'keepProcessAlive must be a boolean (got "false")'],
    [{ handshakeTimeoutMs: '100' }, '(got "100")'],
    [{ maxPayloadBytes: '1000' }, '(got "1000")'],
    [{ perMessageDeflate: 'true' }, '(got "true")'],
    [{ tls: 'yes' }, '(got "yes")'],
    [{ headers: 'x-api-key: 1' }, '(got "x-api-key: 1")'],
    [{ flowControl: 'off' }, '(got string "off")'],
  ])('createNodeClient(%j)', (extra, text) => {
    expect(create(extra)).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringContaining(text) }));
  });

  it('messages(), consume() and drain() options', async () => {
    const c = createNodeClient({ url, autoConnect: false });
    const ch = c.channel('x');
    expect(() => ch.messages({ autoAck: 'false' as unknown as boolean })).toThrow('autoAck must be a boolean (got "false")');
    expect(() => ch.messages({ highWaterMark: '5' as unknown as number })).toThrow('(got "5")');
    expect(() => ch.messages({ maxUncommitted: '5' as unknown as number })).toThrow('(got "5")');
    expect(() => ch.messages({ onGap: 'skip' as 'stop' })).toThrow(`(got "skip")`);
    await expect(ch.consume(() => {}, { onError: { policy: 'retry', maxAttempts: '3' as unknown as number } })).rejects.toThrow('(got "3")');
    await expect(c.drain({ timeoutMs: '100' as unknown as number })).rejects.toThrow('(got "100")');
    await expect(c.drain({ code: '1000' as unknown as number })).rejects.toThrow('drain close code "1000"');
    await c.close();
  });

  it('checkpoint store options', () => {
    expect(() => fileCheckpoint(1 as unknown as string)).toThrow('(got 1)');
    expect(() => fileCheckpoint('')).toThrow('(got "")');
    expect(() => fileCheckpoint('/tmp/x.json', { lock: { waitMs: '5' as unknown as number } })).toThrow('(got "5")');
    expect(() => fileCheckpoint('/tmp/x.json', { lock: 'no' as unknown as boolean })).toThrow('(got string "no")');
    expect(() => redisCheckpoint({ hget() {}, hset() {} } as never, '')).toThrow('(got "")');
  });

  it('showValue: strings quoted, the rest as they read', () => {
    expect(showValue('false')).toBe('"false"');
    expect(showValue(false)).toBe('false');
    expect(showValue(undefined)).toBe('undefined');
    expect(showValue(null)).toBe('null');
    expect(showValue(NaN)).toBe('NaN');
    expect(showValue(10n)).toBe('10n');
    expect(showValue([1])).toBe('an array');
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(showValue(cyclic)).toBe('an object');
    expect(showValue({ long: 'x'.repeat(200) })).toHaveLength(80);
  });
});
