import { describe, expect, it } from 'vitest';
import { createClient, isLifelineError } from '../src';
import { FakeSocket } from './support/fakeSocket';
import { setup } from './support/harness';

// Options read from a config (`maxAttempts: cfg.retries`) are often undefined: the types
// allow it (exactOptionalPropertyTypes), so the client must take it as not given. It threw
// BAD_ARGUMENT ('option maxAttempts: undefined') at createClient.
describe('an option group member given as undefined', () => {
  it('is taken as not given in reconnect, heartbeat and outbox: no BAD_ARGUMENT', () => {
    const make = () =>
      createClient({
        url: 'ws://test/v1',
        WebSocket: FakeSocket as any,
        autoConnect: false,
        lifecycle: false,
        reconnect: { initialDelayMs: undefined, maxDelayMs: undefined, factor: undefined, jitter: undefined, maxAttempts: undefined, ignoreOffline: undefined },
        heartbeat: { timeoutMs: undefined, checkIntervalMs: undefined, probeTimeoutMs: undefined, jumpThresholdMs: undefined },
        outbox: { maxMessages: undefined, maxBytes: undefined, overflow: undefined, ttlMs: undefined, onClose: undefined, closeTimeoutMs: undefined, ackTimeoutMs: undefined },
      });
    expect(make).not.toThrow();
  });

  it('takes the default: reconnect.initialDelayMs undefined retries after the default 500 ms cap', () => {
    const h = setup({ reconnect: { initialDelayMs: undefined, jitter: 'none', maxAttempts: undefined } });
    h.sock.open();
    h.sock.serverClose(1006, '');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: 500 });
    h.clock.advance(500);
    expect(h.sockets.length).toBe(2);
  });

  it('heartbeat.timeoutMs undefined keeps its meaning: the timeout comes from the welcome', () => {
    const h = setup({ heartbeat: { timeoutMs: undefined }, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    h.accept({ heartbeatMs: 1000 }); // heartbeatMs × 2 + 1000 = 3000, not the 31_000 default
    h.clock.advance(2500);
    expect(h.client.state).toBe('open');
    h.clock.advance(1000);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'heartbeat-timeout' });
  });

  it('a wrong value next to an undefined one is still refused', () => {
    let thrown: unknown;
    try {
      setup({ autoConnect: false, reconnect: { maxAttempts: undefined, maxDelayMs: -1 } });
    } catch (e) {
      thrown = e;
    }
    expect(isLifelineError(thrown, 'BAD_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toContain('maxDelayMs');
  });
});
