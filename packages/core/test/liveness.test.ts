import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/testing';
import { setup } from './support/harness';

describe('liveness', () => {
  it('silence for heartbeatMs × 2 + 1000 declares the socket dead and tears it down at once', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    const s = h.accept({ heartbeatMs: 1000 }); // timeout 3000
    h.clock.advance(2500);
    expect(h.client.state).toBe('open');
    h.clock.advance(1000);
    expect(h.client.state).toBe('closed');
    expect(h.states.at(-1)).toMatchObject({ reason: 'heartbeat-timeout', closeCode: 4202 });
    expect(s.terminated).toBe(true);
  });

  it('any inbound frame is proof of life', () => {
    const h = setup();
    const s = h.accept({ heartbeatMs: 1000 });
    for (let i = 0; i < 20; i++) {
      h.clock.advance(900);
      s.push({ type: 'pong' });
    }
    expect(h.client.state).toBe('open');
  });

  it('heartbeat.timeoutMs overrides the derived timeout', () => {
    const h = setup({ heartbeat: { timeoutMs: 10_000 }, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    h.accept({ heartbeatMs: 1000 });
    h.clock.advance(9000);
    expect(h.client.state).toBe('open');
    h.clock.advance(2000);
    expect(h.client.state).toBe('closed');
  });

  it('answers server pings and measures RTT with its own pings', () => {
    const h = setup();
    const s = h.accept({ heartbeatMs: 2000 });
    s.push({ type: 'ping', t: 42 });
    expect(s.frames('pong').at(-1)).toEqual({ type: 'pong', t: 42 });
    h.clock.advance(2000);
    const ping = s.frames('ping').at(-1);
    expect(ping).toBeTruthy();
    h.clock.advance(30);
    s.push({ type: 'pong', t: ping.t });
    expect(h.client.stats().rttMs).toBe(30);
  });

  it('no welcome within handshakeTimeoutMs → handshake-timeout and retry', () => {
    const h = setup({ handshakeTimeoutMs: 5000 });
    h.sock.open();
    h.clock.advance(5000);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'handshake-timeout' });
    expect(h.client.getSnapshot().retryInMs).not.toBeNull();
  });

  it('a wall-clock jump (sleep) triggers an immediate probe; no answer → dead', () => {
    const h = setup({ heartbeat: { timeoutMs: 60_000, probeTimeoutMs: 2000 }, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    const s = h.accept({ heartbeatMs: 30_000 });
    const pings = () => s.frames('ping').length;
    const before = pings();
    h.clock.jump(20_000); // the tick fires 19 s late
    expect(pings()).toBe(before + 1);
    expect(h.client.state).toBe('open');
    h.clock.advance(2000);
    expect(h.client.state).toBe('closed');
    expect(h.states.at(-1)!.reason).toBe('heartbeat-timeout');
  });

  it('a wall-clock jump is logged with how late the check ran; socket closes are logged with code and reason', () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const log = (msg: string, meta?: Record<string, unknown>) => void lines.push([msg, meta]);
    const h = setup({ heartbeat: { timeoutMs: 60_000 }, logger: { debug: log, info: log, warn: log, error: log } });
    const s = h.accept({ heartbeatMs: 30_000 });
    h.clock.jump(20_000);
    const jump = lines.find(([m]) => m === 'clock-jump');
    expect(jump?.[1]?.lateMs).toBeGreaterThan(5000);
    s.serverClose(4202, 'gone');
    expect(lines.filter(([m]) => m === 'state').at(-1)?.[1]).toMatchObject({ to: 'closed', closeCode: 4202, closeReason: 'gone' });
  });

  it('a probe answered in time keeps the connection', () => {
    const h = setup({ heartbeat: { timeoutMs: 60_000, probeTimeoutMs: 2000 } });
    const s = h.accept({ heartbeatMs: 30_000 });
    h.clock.jump(20_000);
    s.push({ type: 'pong', t: 1 });
    h.clock.advance(3000);
    expect(h.client.state).toBe('open');
  });

  it('a signal after an answered probe probes again: the timer of the answered one does not swallow it', () => {
    const h = setup({ heartbeat: { probeTimeoutMs: 5000 }, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    const s = h.accept({ heartbeatMs: 15_000 });
    h.lifecycle.emit('visible');
    s.push({ type: 'pong', t: 1 }); // the first probe answered: the socket was alive
    h.clock.advance(1000);
    const before = s.frames('ping').length;
    h.lifecycle.emit('offline'); // the socket is dead now, and nothing comes any more
    expect(s.frames('ping').length).toBe(before + 1);
    h.clock.advance(4999);
    expect(h.client.state).toBe('open');
    h.clock.advance(1);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', closeCode: 4202 });
  });

  it('a liveness kill while offline: the move to closed says offline (no retry), the close itself says heartbeat-timeout (README Liveness)', () => {
    const h = setup({ heartbeat: { probeTimeoutMs: 5000 }, reconnect: { jitter: 'none', initialDelayMs: 1000 } });
    h.accept({ heartbeatMs: 15_000 });
    h.lifecycle.emit('offline'); // probes; the socket is dead and nothing answers
    h.clock.advance(5000);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'offline', retryInMs: null, closeCode: 4202, closeReason: 'heartbeat-timeout' });
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'offline', retryInMs: null, lastError: null });
    expect(h.client.stats()).toMatchObject({ lastCloseCode: 4202, lastCloseReason: 'heartbeat-timeout' });
    h.lifecycle.emit('online'); // a retry within the first delay
    expect(h.states.at(-1)).toMatchObject({ from: 'closed', to: 'closed', reason: 'reconnect-now' });
    expect(h.client.getSnapshot().retryInMs).toBeLessThan(1000);
  });

  it('plain heartbeat silence while navigator.onLine is false (no offline event) says offline too', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 1000 } });
    h.accept({ heartbeatMs: 1000 }); // timeout 3000
    h.lifecycle.setOnline(false);
    h.clock.advance(3500);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'offline', retryInMs: null, closeCode: 4202, closeReason: 'heartbeat-timeout' });
    expect(h.client.stats().lastCloseReason).toBe('heartbeat-timeout');
  });

  it('a signal while a probe is unanswered keeps its deadline (no second ping, not pushed back)', () => {
    const h = setup({ heartbeat: { probeTimeoutMs: 5000 }, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    const s = h.accept({ heartbeatMs: 15_000 });
    h.lifecycle.emit('visible');
    const pings = s.frames('ping').length;
    h.clock.advance(3000);
    h.lifecycle.emit('offline');
    expect(s.frames('ping').length).toBe(pings);
    h.clock.advance(2000);
    expect(h.client.state).toBe('closed');
  });

  it('visibilitychange to visible probes at once', () => {
    const h = setup({ heartbeat: { probeTimeoutMs: 1000 }, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    const s = h.accept({ heartbeatMs: 30_000 });
    const before = s.frames('ping').length;
    h.lifecycle.emit('visible');
    expect(s.frames('ping').length).toBe(before + 1);
    h.clock.advance(1000);
    expect(h.client.state).toBe('closed');
  });

  it('keeps a single periodic timer, whatever the message rate (no per-frame timers)', () => {
    const h = setup();
    const s = h.accept();
    const base = h.clock.pending();
    h.client.channel('a').subscribe(() => {});
    h.answerSubs({ a: { offset: 0, epoch: 'e1' } });
    for (let i = 1; i <= 500; i++) h.msg('a', i);
    expect(h.clock.pending()).toBe(base);
    expect(s.live).toBe(true);
  });
});

/**
 * Date.now() can step backwards (an NTP correction, a VM restored, the user setting the
 * time) while timers keep running: a clock whose now() is a manual clock plus a skew.
 */
function steppedClock(setupClock: () => ReturnType<typeof createManualClock>) {
  let skew = 0;
  const base = setupClock();
  return {
    base,
    step: (ms: number) => void (skew += ms),
    clock: { now: () => base.now() + skew, setTimeout: base.setTimeout, clearTimeout: base.clearTimeout },
  };
}

describe('wall clock stepping backwards', () => {
  it('liveness still declares a silent socket dead within the timeout (not an hour later)', () => {
    const w = steppedClock(() => createManualClock(10_000_000));
    const h = setup({ clock: w.clock, reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    const s = h.accept({ heartbeatMs: 1000 }); // timeout 3000
    s.push({ type: 'pong' });
    w.base.advance(1000); // a check sees that frame
    w.step(-3_600_000); // then the wall clock steps back an hour, and the socket falls silent
    w.base.advance(5000);
    expect(h.client.state).toBe('closed');
    expect(h.states.at(-1)).toMatchObject({ reason: 'heartbeat-timeout' });
    expect(s.terminated).toBe(true);
  });

  it('publish pacing does not stall for the size of the step', () => {
    const w = steppedClock(() => createManualClock(10_000_000));
    const h = setup({ clock: w.clock });
    const s = h.accept({ limits: { maxFrameBytes: 65536, maxChannels: 10, publishPerSec: 10, publishBurst: 2 } });
    void h.client.publish('c', 1);
    void h.client.publish('c', 2);
    expect(s.frames('pub').length).toBe(2); // the burst is spent
    w.step(-3_600_000);
    void h.client.publish('c', 3);
    w.base.advance(100); // one token at 10/s
    expect(s.frames('pub').map((f) => f.data)).toEqual([1, 2, 3]);
  });
});
