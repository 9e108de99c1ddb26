// With several handlers, one that failed on a message leaves it half-delivered
// (`_part`: the handlers that already had it are skipped on its redelivery). If the store then
// loses writes it had acknowledged (PROTOCOL.md §5: `since` ahead of the head answers
// recovered:false, out-of-retention), the offsets after the head are handed out again to new
// messages; the new message at that offset was still skipped for the handlers that had had
// the old one: silently lost for them (the gap said ends before it).
import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

describe('a handler failure with several handlers, then a head behind the position', () => {
  it('the handler that had the old message at an offset still gets the new one there', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 100 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.on('error', () => {});
    const a: unknown[] = [];
    const b: unknown[] = [];
    let fail = true;
    ch.subscribe((m) => void a.push(m.data));
    ch.subscribe((m) => {
      if (m.offset === 6 && fail) {
        fail = false;
        throw new Error('transient');
      }
      b.push(m.data);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    for (let o = 1; o <= 6; o++) h.msg('room', o, 'e1', `old${o}`);
    expect(ch.position).toEqual({ offset: 5, epoch: 'e1' });
    // Before the redelivery, the server comes back from an older snapshot: head 2 in e1.
    h.sock.serverClose(1006);
    h.clock.advance(100);
    h.accept();
    expect(h.sock.frames('sub').at(-1).since).toEqual({ offset: 5, epoch: 'e1' });
    h.answerSubs({ room: { offset: 2, epoch: 'e1', recovered: false, reason: 'out-of-retention' } });
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
    // New messages are stored at offsets 3..6, and both handlers get each of them.
    for (let o = 3; o <= 6; o++) h.msg('room', o, 'e1', `new${o}`);
    expect(b.slice(-4)).toEqual(['new3', 'new4', 'new5', 'new6']);
    expect(a.slice(-4)).toEqual(['new3', 'new4', 'new5', 'new6']);
  });
});
