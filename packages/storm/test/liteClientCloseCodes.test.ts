// The lite client (storm's cheap client for big fleets) drifted from core on two closes:
// it reconnected after a normal close (1000), which core treats as final, and it retried a
// 1009 (message too big) at the first backoff delay for ever, since the welcome between
// reset its backoff, where core grows a delay of its own while 1009s come in a row.
import { closeAction } from '@lifeline/core/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { liteClientFactory } from '../src/sim/clients/liteClient';

/** A socket the test drives by hand: construction times on the fake clock. */
class FakeSocket {
  static made: number[] = [];
  static last: FakeSocket;
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev?: { message?: string }) => void) | null = null;
  constructor() {
    FakeSocket.made.push(Date.now());
    FakeSocket.last = this;
  }
  send(): void {}
  close(): void {}
  welcome(): void {
    this.onmessage?.({ data: JSON.stringify({ type: 'welcome', heartbeatMs: 600_000 }) });
  }
}

type Reported = [code: string, message: string, final: boolean];

/** A lite client with `jitter: none` (each delay is the cap: 500, 1000, 2000 … ms up to 30 s). */
function start() {
  FakeSocket.made = [];
  const reported: Reported[] = [];
  let drops = 0;
  const hooks = { onOpen: () => {}, onDrop: () => void drops++, onMessage: () => {}, onGap: () => {}, onError: (...r: Reported) => void reported.push(r) };
  const client = liteClientFactory({ url: 'ws://x/v1', index: 0, channels: ['c'], strategy: 'none', initialDelayMs: 500, maxDelayMs: 30_000, random: () => 0.5, WebSocket: FakeSocket, hooks });
  return { client, reported, drops: () => drops };
}

/** Closes the current socket with `code` and returns the wait until the next one, ms (null: none within 10 min). */
function closeAndWait(code: number, reason = ''): number | null {
  const before = FakeSocket.made.length;
  const at = Date.now();
  FakeSocket.last.onclose?.({ code, reason });
  for (let waited = 0; waited < 600_000 && FakeSocket.made.length === before; waited += 100) vi.advanceTimersByTime(100);
  return FakeSocket.made.length === before ? null : FakeSocket.made[before]! - at;
}

describe("storm's lite client follows core's close codes", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a normal close (1000) from the server is final: CONNECTION_REFUSED, no reconnect, dropped once', () => {
    const c = start();
    FakeSocket.last.welcome();
    expect(closeAndWait(1000, 'bye')).toBeNull();
    expect(FakeSocket.made).toHaveLength(1);
    expect(c.reported).toEqual([['CONNECTION_REFUSED', 'server closed 1000 bye', true]]);
    expect(c.drops()).toBe(1);
    void c.client.close();
  });

  it("stops or retries on every code exactly where core's closeAction says so", () => {
    const codes = [1000, 1001, 1005, 1006, 1008, 1009, 1011, 1012, 1013, 3000, 3999, 4000, 4001, 4099, 4100, 4101, 4199, 4200, 4201, 4202, 4203, 4299, 4300, 4999];
    const seen = codes.map((code) => {
      const c = start();
      FakeSocket.last.welcome();
      const retried = closeAndWait(code) !== null;
      void c.client.close();
      return [code, retried ? 'retry' : 'final'];
    });
    expect(seen).toEqual(codes.map((code) => [code, closeAction(code) === 'retry' ? 'retry' : 'final']));
  });
});

describe("storm's lite client backs off on 1009 as core does", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('1009 closes in a row, each after a welcome, wait longer each time up to the cap', () => {
    const c = start();
    const waits: (number | null)[] = [];
    for (let i = 0; i < 8; i++) {
      FakeSocket.last.welcome(); // the oversized frame comes back after each reconnect
      waits.push(closeAndWait(1009, 'too big'));
    }
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    // Still said each time, and never final.
    expect(c.reported).toHaveLength(8);
    expect(c.reported.every(([code, , final]) => code === 'MESSAGE_TOO_LARGE' && !final)).toBe(true);
    void c.client.close();
  });

  it('another close in between starts the 1009 backoff again', () => {
    const c = start();
    FakeSocket.last.welcome();
    expect(closeAndWait(1009)).toBe(500);
    FakeSocket.last.welcome();
    expect(closeAndWait(1009)).toBe(1_000);
    FakeSocket.last.welcome();
    expect(closeAndWait(1006)).toBe(500); // the usual backoff, reset by the welcome
    FakeSocket.last.welcome();
    expect(closeAndWait(1009)).toBe(500);
    void c.client.close();
  });

  it('a connection that lasted longer than the longest wait starts it again', () => {
    const c = start();
    FakeSocket.last.welcome();
    expect(closeAndWait(1009)).toBe(500);
    FakeSocket.last.welcome();
    expect(closeAndWait(1009)).toBe(1_000);
    FakeSocket.last.welcome();
    vi.advanceTimersByTime(30_001); // past maxDelayMs
    expect(closeAndWait(1009)).toBe(500);
    void c.client.close();
  });
});
