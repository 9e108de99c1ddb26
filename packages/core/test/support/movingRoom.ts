// One channel, `room`, of a client that the tests move between servers (of different
// brokers, say): what was handed and said is recorded, and the moves are one call each.
import type { GapEvent, Message } from '../../src';
import { setup } from './harness';

/** `handler` also runs for each message (its promise makes the handler async). */
export function movingRoom(handler?: (m: Message) => unknown) {
  const h = setup({ reconnect: { jitter: 'none' as const, initialDelayMs: 10 } });
  h.accept();
  const ch = h.client.channel('room');
  /** `epoch#offset` of each message handed, in order. */
  const got: string[] = [];
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => gaps.push(g));
  ch.subscribe((m: Message) => (got.push(`${m.epoch}#${m.offset}`), handler?.(m)) as void);
  /** The newest `sub` on the newest socket. */
  const lastSub = () => h.sock.frames('sub').at(-1);
  /** Answers the newest `sub`; returns it. */
  const answer = (a: Record<string, unknown>) => {
    const f = lastSub();
    h.sock.push({ type: 'subscribed', ref: f.ref, channel: 'room', ...a });
    return f;
  };
  /** The connection drops and the next one (to another server, say) is welcomed. */
  const move = () => {
    h.sock.serverClose(1006);
    h.clock.advance(1000);
    h.accept();
  };
  /** Messages `from`..`to` of `epoch`, in order. */
  const msgs = (epoch: string, from: number, to: number) => {
    for (let o = from; o <= to; o++) h.msg('room', o, epoch);
  };
  return { h, ch, got, gaps, lastSub, answer, move, msgs };
}
