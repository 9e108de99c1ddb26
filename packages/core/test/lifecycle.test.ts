import { describe, expect, it, vi } from 'vitest';
import { browserLifecycle } from '../src';
import { flushPromises, setup } from './support/harness';

describe('browser lifecycle', () => {
  it('no reconnect while offline; the online event reconnects within the first delay', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 500 }, random: () => 0.5 });
    h.accept();
    h.lifecycle.setOnline(false);
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'offline', retryInMs: null });
    h.clock.advance(120_000);
    expect(h.sockets.length).toBe(1);
    h.lifecycle.emit('online');
    h.clock.advance(249);
    expect(h.sockets.length).toBe(1);
    h.clock.advance(1);
    expect(h.sockets.length).toBe(2);
    expect(h.states.at(-1)).toMatchObject({ to: 'connecting', reason: 'reconnect-now' });
  });

  it('a fleet coming back online reconnects spread over the first delay, not in one instant', () => {
    const at: number[] = [];
    for (let i = 0; i < 20; i++) {
      let seq = i + 1;
      const h = setup({ reconnect: { initialDelayMs: 500 }, random: () => ((seq = (seq * 9301 + 49297) % 233280) / 233280) });
      h.accept();
      h.lifecycle.setOnline(false);
      h.sock.serverClose(1006);
      h.lifecycle.emit('online');
      let t = 0;
      while (h.sockets.length === 1 && t < 500) h.clock.advance(1), t++;
      expect(h.sockets.length).toBe(2);
      at.push(Math.floor(t / 50));
    }
    expect(new Set(at).size).toBeGreaterThanOrEqual(6);
  });

  it('the online wait is in the state: closed, reason reconnect-now, retryInMs the wait', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 500 }, random: () => 0.5 });
    h.accept();
    h.lifecycle.setOnline(false);
    h.sock.serverClose(1006);
    h.lifecycle.emit('online');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'reconnect-now', retryInMs: 250, retryAt: h.clock.now() + 250 });
    expect(h.states.at(-1)).toMatchObject({ from: 'closed', to: 'closed', reason: 'reconnect-now', retryInMs: 250 });
  });

  it('online keeps a sooner retry already scheduled (of a 4101, of a drain slot)', async () => {
    let r = 0.002; // the 4101 retry: 1 ms
    const h = setup({ token: async () => 't', reconnect: { initialDelayMs: 500 }, random: () => r });
    await flushPromises();
    h.accept();
    h.sock.serverClose(4101, 'expired');
    expect(h.client.getSnapshot().retryInMs).toBe(1);
    r = 0.9; // online would wait 450 ms
    h.lifecycle.emit('online');
    expect(h.client.getSnapshot().retryInMs).toBe(1);
    h.clock.advance(1);
    await flushPromises();
    expect(h.sockets.length).toBe(2);
  });

  it('reconnectNow() while the online wait runs connects at once; connect() does not cut it short', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 500 }, random: () => 0.9 });
    h.accept();
    h.lifecycle.setOnline(false);
    h.sock.serverClose(1006);
    h.lifecycle.emit('online');
    h.client.connect();
    expect(h.sockets.length).toBe(1);
    h.client.reconnectNow();
    expect(h.sockets.length).toBe(2);
    h.clock.advance(1000);
    expect(h.sockets.length).toBe(2); // the online wait was cancelled, not run as well
  });

  it('reconnect.ignoreOffline keeps retrying while offline', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100, ignoreOffline: true } });
    h.lifecycle.setOnline(false);
    h.sock.serverClose(1006);
    h.clock.advance(100);
    expect(h.sockets.length).toBe(2);
  });

  it('online cuts a scheduled backoff wait short (to a moment within the first delay)', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 30_000 }, random: () => 0.001 });
    h.accept().serverClose(1006);
    h.lifecycle.emit('online');
    h.clock.advance(30);
    expect(h.sockets.length).toBe(2);
  });

  it('offline while open probes the socket', () => {
    const h = setup({ heartbeat: { probeTimeoutMs: 500 }, reconnect: { jitter: 'none', initialDelayMs: 30_000 } });
    const s = h.accept();
    h.lifecycle.emit('offline');
    expect(s.frames('ping').length).toBe(1);
    h.clock.advance(500);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'offline' });
  });

  it('pagehide (persisted) closes cleanly without retry; pageshow resumes with replay', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 4, epoch: 'e1' } });
    const s = h.sock;
    h.lifecycle.emit('pagehide');
    expect(s.live).toBe(false);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'pagehide', retryInMs: null });
    h.clock.advance(60_000);
    expect(h.sockets.length).toBe(1);
    h.lifecycle.emit('pageshow');
    h.accept();
    expect(h.sock.frames('sub')[0].since).toEqual({ offset: 4, epoch: 'e1' });
  });

  it('the default browser source is silent and online where there is no window (SSR/Node)', () => {
    expect(typeof window).toBe('undefined');
    const stop = browserLifecycle.listen(() => {});
    stop();
    expect(browserLifecycle.isOnline()).toBe(true);
  });

  it('the default browser source is offline only when navigator.onLine is false', () => {
    try {
      vi.stubGlobal('navigator', { onLine: false });
      expect(browserLifecycle.isOnline()).toBe(false);
      vi.stubGlobal('navigator', { onLine: true });
      expect(browserLifecycle.isOnline()).toBe(true);
      vi.stubGlobal('navigator', {});
      expect(browserLifecycle.isOnline()).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('where there is no window, every client gets the same stop function (none keeps a closure of its own)', () => {
    // A function made per call kept that call's context alive: ~0.25 KB per idle Node client.
    expect(browserLifecycle.listen(() => {})).toBe(browserLifecycle.listen(() => {}));
  });

  it('the default browser source listens to window/document and never to beforeunload', () => {
    const added: string[] = [];
    const removed: string[] = [];
    const target = {
      addEventListener: (n: string) => added.push(n),
      removeEventListener: (n: string) => removed.push(n),
    };
    const g = globalThis as any;
    g.window = target;
    g.document = { ...target, visibilityState: 'visible' };
    try {
      const stop = browserLifecycle.listen(() => {});
      expect(added.sort()).toEqual(['offline', 'online', 'pagehide', 'pageshow', 'visibilitychange']);
      stop();
      expect(removed.sort()).toEqual(added.sort());
    } finally {
      delete g.window;
      delete g.document;
    }
  });

  it('the default browser source maps DOM events: bfcache only when persisted, visibility only to visible', () => {
    const listeners = new Map<string, (e: any) => void>();
    const target = {
      addEventListener: (n: string, f: (e: any) => void) => listeners.set(n, f),
      removeEventListener: (n: string) => listeners.delete(n),
    };
    const g = globalThis as any;
    g.window = target;
    g.document = { ...target, visibilityState: 'hidden' };
    try {
      const got: string[] = [];
      const stop = browserLifecycle.listen((e) => got.push(e));
      const fire = (type: string, extra: object = {}) => listeners.get(type)!({ type, ...extra });
      fire('online');
      fire('offline');
      fire('pagehide', { persisted: false });
      fire('pagehide', { persisted: true });
      fire('pageshow', { persisted: false });
      fire('pageshow', { persisted: true });
      fire('visibilitychange');
      g.document.visibilityState = 'visible';
      fire('visibilitychange');
      expect(got).toEqual(['online', 'offline', 'pagehide', 'pageshow', 'visible']);
      stop();
      expect(listeners.size).toBe(0);
    } finally {
      delete g.window;
      delete g.document;
    }
  });
});
