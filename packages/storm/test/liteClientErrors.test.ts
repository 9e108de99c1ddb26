// The lite client reported no errors to the run: its refusals were not in the notes, and
// one that gave up for good (HTTP 404, a refused token) left the warm-up waiting 30 s.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { liteClientFactory } from '../src/sim/clients/liteClient';

/** A socket the test drives by hand. */
class FakeSocket {
  static made = 0;
  static last: FakeSocket;
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev?: { message?: string }) => void) | null = null;
  constructor() {
    FakeSocket.made++;
    FakeSocket.last = this;
  }
  send(): void {}
  close(): void {}
}

type Reported = [code: string, message: string, final: boolean];

/** A lite client on a fake socket: what it reported, and how many sockets it made 60 s later. */
function drive(act: (ws: FakeSocket) => void): { reported: Reported[]; sockets: number } {
  FakeSocket.made = 0;
  const reported: Reported[] = [];
  const hooks = { onOpen: () => {}, onDrop: () => {}, onMessage: () => {}, onGap: () => {}, onError: (...r: Reported) => void reported.push(r) };
  const c = liteClientFactory({ url: 'ws://x/v1', index: 0, channels: ['c'], strategy: 'full', initialDelayMs: 500, maxDelayMs: 1_000, random: () => 0.5, WebSocket: FakeSocket, hooks });
  act(FakeSocket.last);
  vi.advanceTimersByTime(60_000);
  void c.close();
  return { reported, sockets: FakeSocket.made };
}

const frame = (ws: FakeSocket, text: string) => ws.onmessage?.({ data: text });
/** What `ws` does with an upgrade answered by a plain HTTP status. */
const httpRefusal = (ws: FakeSocket, status: number) => {
  ws.onerror?.({ message: `Unexpected server response: ${status}` });
  ws.onclose?.({ code: 1006, reason: '' });
};

describe("storm's lite client reports its errors by code (as core)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("an error frame from the server: SERVER_ERROR, not final, connection kept", () => {
    const r = drive((ws) => frame(ws, JSON.stringify({ type: 'error', code: 'FORBIDDEN', message: 'no', ref: 1, channel: 'c' })));
    expect(r.reported).toEqual([['SERVER_ERROR', 'FORBIDDEN: no', false]]);
    expect(r.sockets).toBe(1);
  });

  it('a malformed frame (not JSON, null, no string type): BAD_FRAME, not final, no throw', () => {
    const r = drive((ws) => ['{', 'null', '3', '{"type":1}'].forEach((t) => frame(ws, t)));
    expect(r.reported.map(([c, , f]) => [c, f])).toEqual(Array(4).fill(['BAD_FRAME', false]));
    expect(r.reported[1]![1]).toBe('bad frame from server: null');
  });

  it('a refused token (4100-4199): AUTH_FAILED, final, no reconnect', () => {
    for (const code of [4100, 4101, 4199]) {
      const r = drive((ws) => ws.onclose?.({ code, reason: 'bad token' }));
      expect(r.reported).toEqual([['AUTH_FAILED', expect.stringContaining(`(${code})`), true]]);
      expect(r.sockets).toBe(1);
    }
  });

  it('a stop close (4000-4099): CONNECTION_REFUSED, final, no reconnect', () => {
    const r = drive((ws) => ws.onclose?.({ code: 4001, reason: 'origin not allowed' }));
    expect(r.reported).toEqual([['CONNECTION_REFUSED', 'server closed 4001 origin not allowed', true]]);
    expect(r.sockets).toBe(1);
  });

  it('an upgrade refused with HTTP 4xx: CONNECTION_REFUSED, final, no reconnect', () => {
    const r = drive((ws) => httpRefusal(ws, 404));
    expect(r.reported).toEqual([['CONNECTION_REFUSED', 'upgrade refused: http 404', true]]);
    expect(r.sockets).toBe(1);
  });

  it('HTTP 408, 429 and 503, a 1006, a 42xx: nothing reported, retried', () => {
    for (const act of [(ws: FakeSocket) => httpRefusal(ws, 408), (ws: FakeSocket) => httpRefusal(ws, 429), (ws: FakeSocket) => httpRefusal(ws, 503),
      (ws: FakeSocket) => ws.onclose?.({ code: 1006, reason: '' }), (ws: FakeSocket) => ws.onclose?.({ code: 4203, reason: 'protocol error' })]) {
      const r = drive(act);
      expect(r.reported).toEqual([]);
      expect(r.sockets).toBeGreaterThan(1);
    }
  });

  it('a 1009 close: MESSAGE_TOO_LARGE, not final, retried', () => {
    const r = drive((ws) => ws.onclose?.({ code: 1009, reason: 'too big' }));
    expect(r.reported).toEqual([['MESSAGE_TOO_LARGE', expect.stringMatching(/^closed 1009 too big/), false]]);
    expect(r.sockets).toBeGreaterThan(1);
  });
});
