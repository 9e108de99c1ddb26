import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { setup } from './support/harness';

describe('connection state machine', () => {
  it('connecting → open on welcome, with every transition emitted with its cause', () => {
    const h = setup({ autoConnect: false });
    h.client.connect();
    expect(h.client.state).toBe('connecting');
    h.accept();
    expect(h.client.state).toBe('open');
    expect(h.states.map((s) => [s.from, s.to, s.reason])).toEqual([
      ['closed', 'connecting', 'connect'],
      ['connecting', 'open', 'handshake'],
    ]);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'open', session: 's_1', attempt: 0, retryInMs: null });
    expect(JSON.parse(h.sock.sent[0]!)).toMatchObject({ type: 'hello', v: 1, clientId: h.client.clientId });
  });

  it('connect() is idempotent and autoConnect:false waits for it', () => {
    const h = setup({ autoConnect: false });
    expect(h.client.state).toBe('closed');
    expect(h.sockets.length).toBe(0);
    h.client.connect();
    h.client.connect();
    expect(h.sockets.length).toBe(1);
    h.accept();
    h.client.connect();
    expect(h.sockets.length).toBe(1);
  });

  it('closed says whether and when a retry is scheduled; snapshot is replaced only on change', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const snap = h.client.getSnapshot();
    expect(h.client.getSnapshot()).toBe(snap);
    h.sock.serverClose(1006);
    const s = h.client.getSnapshot();
    expect(s).not.toBe(snap);
    expect(s).toMatchObject({ state: 'closed', retryInMs: 100, retryAt: h.clock.now() + 100, attempt: 1, reason: 'socket-closed' });
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', retryInMs: 100, closeCode: 1006, attempt: 1 });
  });

  it('the attempt counter resets on welcome, not on TCP open', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100, factor: 2 } });
    h.sock.serverClose(1006); // attempt 1: 100 ms
    h.clock.advance(100);
    h.sock.open(); // TCP open, no welcome
    h.sock.serverClose(1006); // attempt 2: 200 ms
    expect(h.client.getSnapshot()).toMatchObject({ attempt: 2, retryInMs: 200 });
    h.clock.advance(200);
    h.accept();
    expect(h.client.getSnapshot().attempt).toBe(0);
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ attempt: 1, retryInMs: 100 });
  });

  it('maxAttempts 2: two retries after the first attempt (3 sockets), then closed with reason max-attempts', () => {
    const h = setup({ reconnect: { maxAttempts: 2, jitter: 'none', initialDelayMs: 10 } });
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.sock.serverClose(1006);
    h.clock.advance(20);
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'max-attempts', retryInMs: null });
    h.clock.advance(60_000);
    expect(h.sockets.length).toBe(3);
  });

  it('never two live sockets; a stale socket’s late events are ignored', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    const first = h.accept();
    first.serverClose(1006);
    h.clock.advance(10);
    const second = h.accept();
    expect(h.live()).toBe(1);
    // late events on the old socket
    first.push({ type: 'drain', reconnectWindowMs: 1 });
    first.onclose?.({ code: 4000, reason: 'late' });
    expect(h.client.state).toBe('open');
    expect(second.live).toBe(true);
  });

  it('reconnectNow() skips the wait', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10_000 } });
    h.accept().serverClose(1006);
    expect(h.sockets.length).toBe(1);
    h.client.reconnectNow();
    expect(h.sockets.length).toBe(2);
    expect(h.states.at(-1)).toMatchObject({ to: 'connecting', reason: 'reconnect-now' });
    h.clock.advance(10_000);
    expect(h.sockets.length).toBe(2); // the old timer was cancelled
  });

  it('close() resolves after the socket closed and leaves no timer and no listener', async () => {
    const h = setup();
    h.accept();
    h.client.channel('a').subscribe(() => {});
    expect(h.clock.pending()).toBeGreaterThan(0);
    const p = h.client.close();
    expect(h.client.state).toBe('closing');
    expect(h.sock.closedWith).toEqual({ code: 1000, reason: 'client closed' });
    h.sock.serverClose(1000);
    await p;
    expect(h.client.state).toBe('closed');
    expect(h.clock.pending()).toBe(0);
    expect(h.lifecycle.listeners()).toBe(0);
    expect(h.states.at(-1)).toMatchObject({ to: 'closed', reason: 'close-requested', retryInMs: null });
  });

  it('close() does not hang on a peer that never finishes the close handshake', async () => {
    const h = setup();
    h.accept();
    const p = h.client.close();
    h.clock.advance(1000);
    await p;
    expect(h.sock.terminated).toBe(true);
    expect(h.clock.pending()).toBe(0);
  });

  it('close() while a retry is scheduled cancels it; connect() afterwards starts again', async () => {
    const h = setup();
    h.accept().serverClose(1006);
    await h.client.close();
    expect(h.clock.pending()).toBe(0);
    h.clock.advance(60_000);
    expect(h.sockets.length).toBe(1);
    h.client.connect();
    expect(h.sockets.length).toBe(2);
  });
});

describe('close-code policy', () => {
  it.each([4000, 4001, 4050, 1000])('%i stops without retry', (code) => {
    const h = setup();
    h.accept();
    h.sock.serverClose(code, 'no');
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'terminal', retryInMs: null });
    expect(isLifelineError(h.errors.at(-1), 'CONNECTION_REFUSED')).toBe(true);
    h.clock.advance(120_000);
    expect(h.sockets.length).toBe(1);
  });

  it.each([1001, 1006, 1008, 1009, 1011, 4200, 4201, 4202, 4203, 4999])('%i retries with backoff', (code) => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    h.sock.serverClose(code);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', retryInMs: 100 });
    h.clock.advance(100);
    expect(h.sockets.length).toBe(2);
  });

  it('1013 honours retry-after-ms from the reason (in [hint, 1.5 × hint))', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.sock.serverClose(1013, 'overloaded; retry-after-ms=4000');
    const r = h.client.getSnapshot().retryInMs!;
    expect(r).toBeGreaterThanOrEqual(4000);
    expect(r).toBeLessThan(6000);
  });

  it('an HTTP 503 refusal with x-retry-after-ms (Node ws) honours the hint', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.sock.refuse(503, { 'x-retry-after-ms': '2500', 'retry-after': '3' });
    const r = h.client.getSnapshot().retryInMs!;
    expect(r).toBeGreaterThanOrEqual(2500);
    expect(r).toBeLessThan(3750);
    expect(h.live()).toBe(0);
  });

  it('a refusal without a hint (what a browser sees) falls back to backoff', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.sock.error();
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot().retryInMs).toBe(100);
  });

  it('drain: the first attempt is uniform in [0, reconnectWindowMs), overriding backoff', () => {
    const delays: number[] = [];
    for (const r of [0, 0.25, 0.999]) {
      const h = setup({ random: () => r, reconnect: { jitter: 'none', initialDelayMs: 100 } });
      h.accept();
      h.sock.push({ type: 'drain', reconnectWindowMs: 12_000 });
      h.sock.serverClose(1012);
      expect(h.client.getSnapshot().reason).toBe('drain');
      delays.push(h.client.getSnapshot().retryInMs!);
      // the window applies to the first attempt only
      h.clock.advance(h.client.getSnapshot().retryInMs!);
      h.sock.serverClose(1006);
      expect(h.client.getSnapshot().retryInMs).toBe(200);
    }
    expect(delays).toEqual([0, 3000, 11_988]);
  });

  it('drain: the attempt is drawn from the drain frame, so a slow close keeps it; a moment already past spreads over what is left', () => {
    const at: number[] = [];
    for (const [r, closeAfterMs] of [[0.5, 2_000], [0.1, 2_000], [0.999, 2_000], [0.5, 12_000]] as const) {
      const h = setup({ random: () => r, reconnect: { jitter: 'none', initialDelayMs: 100 } });
      h.accept();
      const t0 = h.clock.now();
      h.sock.push({ type: 'drain', reconnectWindowMs: 10_000 });
      h.clock.advance(closeAfterMs); // a slow close handshake on a loaded server
      h.sock.serverClose(1012);
      expect(h.client.getSnapshot().reason).toBe('drain');
      at.push(h.clock.now() - t0 + h.client.getSnapshot().retryInMs!);
    }
    // r × 10 s from the frame while that is still ahead (5 s, 9.99 s); 1 s had passed at the
    // 2 s close → 2 s + r × the 8 s left; a close after the window: at once
    expect(at).toEqual([5_000, 2_800, 9_990, 12_000]);
  });

  it("drain: a reconnectSlotMs narrows the attempt to the client's slot, counted from the drain frame", () => {
    const at: number[] = [];
    for (const [r, closeAfterMs] of [[0, 0], [0.5, 0], [0.999, 0], [0.5, 2_000], [0.25, 4_500], [0.5, 6_000]] as const) {
      const h = setup({ random: () => r, reconnect: { jitter: 'none', initialDelayMs: 100 } });
      h.accept();
      const t0 = h.clock.now();
      h.sock.push({ type: 'drain', reconnectWindowMs: 10_000, reconnectSlotMs: [4_000, 5_000] });
      h.clock.advance(closeAfterMs);
      h.sock.serverClose(1012);
      expect(h.client.getSnapshot().reason).toBe('drain');
      at.push(h.clock.now() - t0 + h.client.getSnapshot().retryInMs!);
    }
    // inside 4-5 s after the frame, also when the close came 2 s late (close batches on a
    // loaded client must not move the attempt); a close at 4.5 s with the moment drawn at
    // 4.25 s: r × the 5.5 s left, from 4.5 s; a close at 6 s, after the slot: r × the 4 s
    // left of the window, from 6 s
    expect(at.map(Math.round)).toEqual([4_000, 4_500, 4_999, 4_500, 5_875, 8_000]);
  });

  it('drain: a window that is not a usable number of ms is no hint: backoff, never a NaN or instant delay', () => {
    // 1e999 parses to Infinity; past 2^31 − 1 ms a timer fires at once; missing, negative
    // or a string is not a window either.
    for (const raw of ['1e999', '-1e999', '1e12', '-5', '"5000"', 'null', undefined]) {
      for (const r of [0, 0.5]) {
        const h = setup({ random: () => r, reconnect: { jitter: 'none', initialDelayMs: 100 } });
        h.accept();
        h.sock.pushRaw(`{"type":"drain"${raw === undefined ? '' : `,"reconnectWindowMs":${raw}`},"reconnectSlotMs":[0,1000]}`);
        h.sock.serverClose(1012);
        expect(h.client.getSnapshot()).toMatchObject({ reason: 'socket-closed', retryInMs: 100 });
      }
    }
  });

  it('drain: the hint is for the close that follows it only, however that close is handled', async () => {
    const h = setup({ random: () => 0.5, reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    h.sock.push({ type: 'drain', reconnectWindowMs: 60_000 });
    const closing = h.client.close(); // the app closes first: the hint is not used...
    h.sock.serverClose(1000);
    await closing;
    expect(h.client.state).toBe('closed');
    h.clock.advance(1_000);
    h.client.connect(); // ...and not carried to a later, unrelated drop
    h.accept();
    h.sock.serverClose(1006);
    expect(h.client.getSnapshot()).toMatchObject({ reason: 'socket-closed', retryInMs: 100 });
  });

  it('drain: a malformed or out-of-window slot is ignored (the whole window)', () => {
    for (const slot of [[5_000, 4_000], [-1, 100], [0, 20_000], ['1', '2'], [null, 5], 'x', [1]]) {
      const h = setup({ random: () => 0.5, reconnect: { jitter: 'none', initialDelayMs: 100 } });
      h.accept();
      h.sock.push({ type: 'drain', reconnectWindowMs: 10_000, reconnectSlotMs: slot });
      h.sock.serverClose(1012);
      expect(h.client.getSnapshot().retryInMs).toBe(5_000);
    }
  });
});
