// A connection closed for a frame above a size limit (1009): after the welcome the replay
// brings the same message back and the socket closes again. The welcome reset the backoff,
// so the client reconnected at the first delay for ever, without a word.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { setup } from './support/harness';

const reconnect = { jitter: 'none' as const, initialDelayMs: 100, maxDelayMs: 100_000, factor: 2 };

describe('closes with 1009 in a row', () => {
  it('each is reported as MESSAGE_TOO_LARGE, and the backoff grows across them although each connection was welcomed', () => {
    const h = setup({ reconnect });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.accept();
      h.sock.serverClose(1009, 'too big');
      const retry = h.client.getSnapshot().retryInMs!;
      delays.push(retry);
      h.clock.advance(retry);
    }
    expect(delays).toEqual([100, 200, 400, 800]);
    expect(h.errors.map((e) => isLifelineError(e, 'MESSAGE_TOO_LARGE'))).toEqual([true, true, true, true]);
    expect(h.errors[0].message).toMatch(/1009 too big: .*maxPayloadBytes/);
    expect(h.states.filter((s) => s.to === 'closed').every((s) => s.closeCode === 1009)).toBe(true);
  });

  it('another close in between starts the count again: its backoff is the usual one', () => {
    const h = setup({ reconnect });
    h.accept();
    h.sock.serverClose(1009);
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.accept();
    h.sock.serverClose(1009);
    expect(h.client.getSnapshot().retryInMs).toBe(200);
    h.clock.advance(200);
    h.accept();
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot().retryInMs).toBe(100);
    h.clock.advance(100);
    h.accept();
    h.sock.serverClose(1009);
    expect(h.client.getSnapshot().retryInMs).toBe(100);
    expect(h.errors.filter((e) => isLifelineError(e, 'MESSAGE_TOO_LARGE'))).toHaveLength(3);
  });

  it('with decorrelated jitter too: the delays grow towards the cap (the welcome reset what that jitter grows from)', () => {
    const h = setup({ reconnect: { jitter: 'decorrelated', initialDelayMs: 100, maxDelayMs: 100_000 } });
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      h.accept();
      h.sock.serverClose(1009);
      const retry = h.client.getSnapshot().retryInMs!;
      delays.push(retry);
      h.clock.advance(retry);
    }
    // Each at most 3× the one before; from 100–300 ms at first to seconds by the end.
    expect(delays[0]).toBeLessThan(300);
    expect(Math.max(...delays.slice(8))).toBeGreaterThan(1000);
  });

  it('are not failed attempts: maxAttempts does not stop a client whose connections are welcomed', () => {
    const h = setup({ reconnect: { ...reconnect, maxAttempts: 2 } });
    for (let i = 0; i < 5; i++) {
      h.accept();
      h.sock.serverClose(1009);
      expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', attempt: 1 });
      h.clock.advance(h.client.getSnapshot().retryInMs!);
    }
    expect(h.states.some((s) => s.reason === 'max-attempts')).toBe(false);
  });

  it('a connection that lasted longer than maxDelayMs before its 1009 starts the backoff again', () => {
    const h = setup({ reconnect: { ...reconnect, maxDelayMs: 10_000 } });
    for (let i = 0; i < 3; i++) {
      h.accept();
      h.sock.serverClose(1009);
      h.clock.advance(h.client.getSnapshot().retryInMs!);
    }
    h.accept();
    h.clock.advance(10_001); // within the heartbeat timeout: still open
    expect(h.client.state).toBe('open');
    h.sock.serverClose(1009);
    expect(h.client.getSnapshot().retryInMs).toBe(100);
  });

  it('closes before any welcome (a hello above the server limit) grow too, however long ago a connection was welcomed', () => {
    const h = setup({ reconnect: { ...reconnect, maxDelayMs: 1000 } });
    h.accept();
    h.clock.advance(5000); // a healthy connection, long ago by the end
    h.sock.serverClose(1006);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.advance(h.client.getSnapshot().retryInMs!);
      h.sock.open(); // no welcome
      h.sock.serverClose(1009);
      delays.push(h.client.getSnapshot().retryInMs!);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
  });
});
