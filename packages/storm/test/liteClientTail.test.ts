// After `recovered: false` the server sends the retained tail of the log (the last
// `replay` messages up to the reply's offset, PROTOCOL.md §5). The lite client put its
// position at the head and dropped that tail as duplicates: its gap must end where the
// tail starts, and the tail must be delivered.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Position } from '@lifeline/core/protocol';
import { liteClientFactory } from '../src/sim/clients/liteClient';

class FakeSocket {
  static last: FakeSocket;
  readyState = 1;
  sent: Record<string, any>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev?: { message?: string }) => void) | null = null;
  constructor() {
    FakeSocket.last = this;
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {}
}

const frame = (ws: FakeSocket, f: Record<string, unknown>) => ws.onmessage?.({ data: JSON.stringify(f) });
const msg = (offset: number, epoch: string, s: number) => ({ type: 'msg', channel: 'c', offset, epoch, data: { s } });

function start() {
  const got: number[] = [];
  const gaps: { from: Position | null; to: Position }[] = [];
  const hooks = { onOpen: () => {}, onDrop: () => {}, onMessage: (_: number, s: number) => void got.push(s), onGap: (_: number, g: { from: Position | null; to: Position }) => void gaps.push(g) };
  const c = liteClientFactory({ url: 'ws://x/v1', index: 0, channels: ['c'], strategy: 'full', initialDelayMs: 100, maxDelayMs: 100, random: () => 0.5, WebSocket: FakeSocket, hooks });
  const ws = FakeSocket.last;
  frame(ws, { type: 'welcome', heartbeatMs: 15_000 });
  frame(ws, { type: 'subscribed', ref: 1, channel: 'c', epoch: 'e1', offset: 0 });
  frame(ws, msg(1, 'e1', 1));
  frame(ws, msg(2, 'e1', 2));
  return { c, got, gaps };
}

/** Drops the connection and welcomes the next one: the client subscribes again with its position. */
function reconnect(): FakeSocket {
  FakeSocket.last.onclose?.({ code: 1006, reason: '' });
  vi.advanceTimersByTime(1000);
  const ws = FakeSocket.last;
  frame(ws, { type: 'welcome', heartbeatMs: 15_000 });
  return ws;
}

describe("storm's lite client after recovered: false", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('epoch changed with a tail: a gap to offset - replay, then the tail in order, then live', async () => {
    const { c, got, gaps } = start();
    const ws = reconnect();
    expect(ws.sent.at(-1)).toMatchObject({ type: 'sub', channel: 'c', since: { offset: 2, epoch: 'e1' } });
    frame(ws, { type: 'subscribed', ref: 2, channel: 'c', epoch: 'e2', offset: 3, recovered: false, reason: 'epoch-changed', replay: 3 });
    for (let o = 1; o <= 4; o++) frame(ws, msg(o, 'e2', 10 + o));
    expect(gaps).toEqual([{ from: { offset: 2, epoch: 'e1' }, to: { offset: 0, epoch: 'e2' } }]);
    expect(got).toEqual([1, 2, 11, 12, 13, 14]);
    expect(ws.sent.filter((f) => f.type === 'sub')).toHaveLength(1); // no hole taken for a re-subscribe
    await c.close();
  });

  it('out of retention with a tail: the gap ends below the retained window, which is delivered', async () => {
    const { c, got, gaps } = start();
    const ws = reconnect();
    frame(ws, { type: 'subscribed', ref: 2, channel: 'c', epoch: 'e1', offset: 10, recovered: false, reason: 'out-of-retention', replay: 5 });
    for (let o = 6; o <= 10; o++) frame(ws, msg(o, 'e1', o));
    expect(gaps).toEqual([{ from: { offset: 2, epoch: 'e1' }, to: { offset: 5, epoch: 'e1' } }]);
    expect(got).toEqual([1, 2, 6, 7, 8, 9, 10]);
    await c.close();
  });

  it('without replay (an older server, or an empty log): the gap to the head, as before', async () => {
    const { c, got, gaps } = start();
    const ws = reconnect();
    frame(ws, { type: 'subscribed', ref: 2, channel: 'c', epoch: 'e2', offset: 4, recovered: false, reason: 'epoch-changed' });
    frame(ws, msg(5, 'e2', 5));
    expect(gaps).toEqual([{ from: { offset: 2, epoch: 'e1' }, to: { offset: 4, epoch: 'e2' } }]);
    expect(got).toEqual([1, 2, 5]);
    await c.close();
  });

  it('a replay past the head (a hostile server) ends the gap at 0, never below', async () => {
    const { c, gaps } = start();
    const ws = reconnect();
    frame(ws, { type: 'subscribed', ref: 2, channel: 'c', epoch: 'e2', offset: 2, recovered: false, reason: 'epoch-changed', replay: 99 });
    expect(gaps.at(-1)!.to).toEqual({ offset: 0, epoch: 'e2' });
    await c.close();
  });
});
