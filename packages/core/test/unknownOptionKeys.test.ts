import { describe, expect, it } from 'vitest';
import { createBackoff, createClient, type ClientOptions } from '../src';

/**
 * A mistyped option key was ignored without a word, its default kept (a Node trial):
 * `outbox: { ttl: 5000 }` left publishes that never expire, `reconnect: { maxDelay: 100 }`
 * the 30 s cap, `reconnect: { maxAttempt: 3 }` retrying for ever. @lifeline/node refuses
 * unknown keys at its own level; core now refuses them in its option groups and at the top
 * level, naming the key and the keys there are.
 */
const base = { url: 'ws://127.0.0.1:1/v1', autoConnect: false, lifecycle: false } as const;
const make = (extra: Record<string, unknown>) => () => createClient({ ...base, ...extra } as ClientOptions);

describe('unknown option keys', () => {
  it.each([
    ['reconnect', { maxDelay: 100 }, 'maxDelay', 'initialDelayMs | maxDelayMs | factor | jitter | maxAttempts | ignoreOffline'],
    ['reconnect', { maxAttempt: 3 }, 'maxAttempt', 'initialDelayMs | maxDelayMs | factor | jitter | maxAttempts | ignoreOffline'],
    ['heartbeat', { timeout: 5000 }, 'timeout', 'timeoutMs | checkIntervalMs | probeTimeoutMs | jumpThresholdMs'],
    ['outbox', { ttl: 5000 }, 'ttl', 'maxMessages | maxBytes | overflow | ttlMs | onClose | closeTimeoutMs | ackTimeoutMs'],
    ['outbox', { maxMessage: 10 }, 'maxMessage', 'maxMessages | maxBytes | overflow | ttlMs | onClose | closeTimeoutMs | ackTimeoutMs'],
  ])('%s: %o is refused with BAD_ARGUMENT naming the key and the known ones', (group, value, key, known) => {
    expect(make({ [group]: value })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: `option ${key}: unknown (${known})` }));
  });

  it('an unknown key given as undefined is refused too (the key is still wrong), a known one is not', () => {
    expect(make({ outbox: { ttl: undefined } })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/^option ttl: unknown/) }));
    expect(make({ outbox: { ttlMs: undefined }, reconnect: {}, heartbeat: { timeoutMs: undefined } })).not.toThrow();
  });

  it('names of Object.prototype are unknown keys like any, not a crash', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty']) {
      expect(make({ reconnect: { [key]: 5 } })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringMatching(new RegExp(`^option ${key}: unknown`)) }));
    }
    expect(make({ outbox: JSON.parse('{"__proto__": 5}') })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });

  it('a top-level key createClient does not know is refused, with the keys there are', () => {
    expect(make({ reconect: { maxAttempts: 3 } })).toThrow(
      expect.objectContaining({
        code: 'BAD_ARGUMENT',
        message: 'option reconect: unknown (url | token | reconnect | heartbeat | outbox | WebSocket | clock | random | logger | autoConnect | lifecycle | handshakeTimeoutMs | agent | clientId)',
      }),
    );
    expect(make({ autoconnect: false })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/^option autoconnect: unknown/) }));
  });

  it('every documented top-level key is accepted', () => {
    const all: Required<{ [K in keyof ClientOptions]: unknown }> = {
      url: 'ws://127.0.0.1:1/v1',
      token: 't',
      reconnect: { initialDelayMs: 10 },
      heartbeat: { probeTimeoutMs: 1000 },
      outbox: { ttlMs: 1000 },
      clientId: 'c1',
      WebSocket: class {},
      clock: undefined,
      random: Math.random,
      logger: undefined,
      autoConnect: false,
      handshakeTimeoutMs: 1000,
      lifecycle: false,
      agent: 'a/1',
    };
    expect(() => createClient(all as ClientOptions)).not.toThrow();
  });

  it('createBackoff() refuses an unknown key as createClient does for reconnect', () => {
    expect(() => createBackoff({ maxDelay: 100 } as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/^option maxDelay: unknown/) }));
  });
});
