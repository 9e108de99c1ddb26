import { describe, expect, it } from 'vitest';
import { createClient, isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';
import { FakeSocket } from './support/fakeSocket';

const make = (over: Record<string, unknown>) => () =>
  createClient({ url: 'ws://test/v1', WebSocket: FakeSocket as any, autoConnect: false, lifecycle: false, ...over });

describe('option checks', () => {
  it.each([
    ['reconnect.initialDelayMs NaN', { reconnect: { initialDelayMs: NaN } }, 'initialDelayMs'],
    ['reconnect.initialDelayMs 0', { reconnect: { initialDelayMs: 0 } }, 'initialDelayMs'],
    ['reconnect.maxDelayMs -1', { reconnect: { maxDelayMs: -1 } }, 'maxDelayMs'],
    ['reconnect.factor 0.5', { reconnect: { factor: 0.5 } }, 'factor'],
    ['reconnect.maxAttempts "3"', { reconnect: { maxAttempts: '3' } }, 'maxAttempts'],
    ['heartbeat.checkIntervalMs 0', { heartbeat: { checkIntervalMs: 0 } }, 'checkIntervalMs'],
    ['heartbeat.timeoutMs NaN', { heartbeat: { timeoutMs: NaN } }, 'timeoutMs'],
    ['outbox.maxMessages -1', { outbox: { maxMessages: -1 } }, 'maxMessages'],
    ['outbox.ttlMs "5000"', { outbox: { ttlMs: '5000' } }, 'ttlMs'],
    ['outbox.overflow 7', { outbox: { overflow: 7 } }, 'overflow'],
    ['outbox.ttlMs 0', { outbox: { ttlMs: 0 } }, 'ttlMs'],
    ["reconnect.jitter 'decorelated' (a typo)", { reconnect: { jitter: 'decorelated' } }, 'jitter'],
    ["reconnect.jitter 'flush' (another option's value)", { reconnect: { jitter: 'flush' } }, 'jitter'],
    ["outbox.overflow 'drop_oldest'", { outbox: { overflow: 'drop_oldest' } }, 'overflow'],
    ["outbox.onClose ''", { outbox: { onClose: '' } }, 'onClose'],
    // Each of these looped in silence: every retry at once (174 attempts in 300 ms against a
    // dead server), every connection dead at its first check, every handshake timed out.
    ['reconnect.maxDelayMs 0', { reconnect: { maxDelayMs: 0 } }, 'maxDelayMs'],
    ['heartbeat.timeoutMs 0', { heartbeat: { timeoutMs: 0 } }, 'timeoutMs'],
    ['heartbeat.probeTimeoutMs 0', { heartbeat: { probeTimeoutMs: 0 } }, 'probeTimeoutMs'],
    ['heartbeat.jumpThresholdMs 0', { heartbeat: { jumpThresholdMs: 0 } }, 'jumpThresholdMs'],
    ['handshakeTimeoutMs 0', { handshakeTimeoutMs: 0 }, 'handshakeTimeoutMs'],
    ['handshakeTimeoutMs NaN', { handshakeTimeoutMs: NaN }, 'handshakeTimeoutMs'],
    ["handshakeTimeoutMs '10000'", { handshakeTimeoutMs: '10000' }, 'handshakeTimeoutMs'],
    // The server refused every hello with a non-string agent (BAD_FIELD, then 4203).
    ['agent 5', { agent: 5 }, 'agent'],
  ])('%s is refused with BAD_ARGUMENT naming the option', (_, over, key) => {
    let thrown: unknown;
    try {
      make(over)();
    } catch (e) {
      thrown = e;
    }
    expect(isLifelineError(thrown, 'BAD_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toContain(key);
  });

  it('accepts the defaults, Infinity where it means "never", and a factor of 1', () => {
    expect(make({})).not.toThrow();
    expect(
      make({
        reconnect: { maxAttempts: Infinity, maxDelayMs: 0.5, initialDelayMs: 0.5, factor: 1, jitter: 'none' },
        outbox: { ttlMs: Infinity, maxMessages: 0, maxBytes: 0, closeTimeoutMs: 0, overflow: 'drop-oldest', onClose: 'flush' },
        heartbeat: { timeoutMs: Infinity },
        handshakeTimeoutMs: Infinity,
        agent: 'my-app/1.0',
      }),
    ).not.toThrow();
    // 0 where it means none: no retry.
    expect(make({ reconnect: { maxAttempts: 0 } })).not.toThrow();
  });

  it.each([
    ['no options', undefined, 'options: not an object'],
    ['null', null, 'options: not an object'],
    ['logger: 5', { logger: 5 }, 'option logger: a number, not object'],
    ['token: 123', { token: 123 }, 'option token: a number, not string or function'],
    ["heartbeat: 'x'", { heartbeat: 'x' }, 'option heartbeat: a string, not object'],
    ["autoConnect: 'no'", { autoConnect: 'no' }, 'option autoConnect: a string, not boolean'],
    ['clock: a function', { clock: () => 0 }, 'option clock: a function, not object'],
    ['url: a number', { url: 8080 }, 'option url: a number, not string or object'],
    ['lifecycle: true', { lifecycle: true }, 'option lifecycle: a boolean, not object or false'],
  ])('%s is refused with BAD_ARGUMENT at creation, nothing started', (_, given, message) => {
    const opts = given === undefined || given === null ? given : { url: 'ws://x/v1', autoConnect: false, ...given };
    let thrown: unknown;
    try {
      createClient(opts as never);
    } catch (e) {
      thrown = e;
    }
    expect(isLifelineError(thrown, 'BAD_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toContain(message);
  });

  it('a string option out of its choices is told them', () => {
    expect(make({ reconnect: { jitter: 'decorelated' as never } })).toThrow("option jitter: decorelated (full | equal | decorrelated | none)");
    expect(make({ outbox: { overflow: 'drop' as never } })).toThrow('option overflow: drop (reject | drop-oldest | drop-newest)');
  });

  it('accepts every documented value of jitter, overflow and onClose', () => {
    for (const jitter of ['full', 'equal', 'decorrelated', 'none']) expect(make({ reconnect: { jitter } })).not.toThrow();
    for (const overflow of ['reject', 'drop-oldest', 'drop-newest']) expect(make({ outbox: { overflow } })).not.toThrow();
    for (const onClose of ['flush', 'fail']) expect(make({ outbox: { onClose } })).not.toThrow();
  });

  it('a publish with a ttlMs that is not a number > 0 rejects with BAD_ARGUMENT and queues nothing', async () => {
    const h = setup({ autoConnect: false });
    for (const ttlMs of ['5000', NaN, -1, 0] as any[]) {
      await expect(h.client.publish('c', 1, { ttlMs })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    }
    expect(h.client.stats().outboxDepth).toBe(0);
  });
});

describe('a static token the server says expired (4101)', () => {
  it('stops with AUTH_FAILED instead of retrying the same token for ever; setToken() resumes', () => {
    const h = setup({ token: 'old' });
    h.sock.open();
    h.sock.serverClose(4101, 'expired');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'auth-failed', retryInMs: null });
    expect(isLifelineError(h.errors.at(-1), 'AUTH_FAILED')).toBe(true);
    expect(h.errors.at(-1).message).toContain('expired');
    h.clock.advance(600_000);
    expect(h.sockets.length).toBe(1);
    h.client.setToken('new');
    expect(h.sockets.length).toBe(2);
    h.sock.open();
    expect(JSON.parse(h.sock.sent[0]!).token).toBe('new');
  });
});

describe('a RATE_LIMITED publish error with a malformed retryAfterMs', () => {
  it.each([['a string', '5'], ['negative', -1], ['NaN as null', null]])('(%s) re-sends after 1 s: neither at once nor never', async (_, retryAfterMs) => {
    const h = setup();
    const s = h.accept();
    void h.client.publish('c', 1).catch(() => {});
    const f = s.frames('pub')[0];
    s.push({ type: 'error', code: 'RATE_LIMITED', message: 'slow down', ref: f.ref, retryAfterMs });
    await flushPromises();
    h.clock.advance(999);
    expect(s.frames('pub').length).toBe(1);
    h.clock.advance(1);
    expect(s.frames('pub').length).toBe(2);
    expect(s.frames('pub')[1].id).toBe(f.id);
  });
});
