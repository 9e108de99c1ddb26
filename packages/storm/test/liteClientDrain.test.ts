import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { liteClientFactory } from '../src/sim/clients/liteClient';

/** A socket the test drives by hand: it records construction times on the fake clock. */
class FakeSocket {
  static made: number[] = [];
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  static last: FakeSocket;
  constructor() {
    FakeSocket.made.push(Date.now());
    FakeSocket.last = this;
  }
  send(): void {}
  close(): void {}
  push(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const hooks = { onOpen: () => {}, onDrop: () => {}, onMessage: () => {}, onGap: () => {} };

/** Delay from the close to the next attempt, the close coming `closeAfterMs` after the frame. */
function attemptDelayAfterDrain(drain: object, r: number, closeAfterMs = 0): number {
  FakeSocket.made = [];
  const c = liteClientFactory({ url: 'ws://x/v1', index: 0, channels: ['c'], strategy: 'full', initialDelayMs: 500, maxDelayMs: 30_000, random: () => r, WebSocket: FakeSocket, hooks });
  const ws = FakeSocket.last;
  ws.push({ type: 'welcome', heartbeatMs: 60_000 });
  ws.push(drain);
  vi.advanceTimersByTime(closeAfterMs);
  const closedAt = Date.now();
  ws.onclose?.({ code: 1012, reason: 'drain' });
  vi.advanceTimersByTime(60_000);
  void c.close();
  return FakeSocket.made[1]! - closedAt;
}

describe("storm's lite client and the drain frame", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reconnects inside its slot when the frame has one', () => {
    expect(attemptDelayAfterDrain({ type: 'drain', reconnectWindowMs: 10_000, reconnectSlotMs: [4_000, 5_000] }, 0.5)).toBe(4_500);
  });

  it('counts the slot from the frame, not the close; a slot already past spreads over what is left', () => {
    const slot = { type: 'drain', reconnectWindowMs: 10_000, reconnectSlotMs: [4_000, 5_000] };
    expect(attemptDelayAfterDrain(slot, 0.5, 2_000)).toBe(2_500); // 4.5 s after the frame
    expect(attemptDelayAfterDrain(slot, 0.5, 6_000)).toBe(2_000); // half of the 4 s left
  });

  it('takes a frame without a usable window as no hint: its backoff (full jitter, 500 ms base)', () => {
    for (const w of [undefined, -1, 1e12, '5000']) {
      expect(attemptDelayAfterDrain({ type: 'drain', reconnectWindowMs: w, reconnectSlotMs: [0, 1000] }, 0.5)).toBe(250);
    }
  });

  it('spreads over the whole window without a slot, or with one outside the window', () => {
    expect(attemptDelayAfterDrain({ type: 'drain', reconnectWindowMs: 10_000 }, 0.5)).toBe(5_000);
    expect(attemptDelayAfterDrain({ type: 'drain', reconnectWindowMs: 10_000, reconnectSlotMs: [4_000, 20_000] }, 0.5)).toBe(5_000);
  });
});
