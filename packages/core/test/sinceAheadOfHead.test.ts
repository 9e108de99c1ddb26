// PROTOCOL.md §5: a `since` ahead of the head in the same epoch (the server's store lost
// writes it had acknowledged) is answered recovered:false. The client says so with a gap
// and takes the messages that now reuse those offsets: they are new to it.
import { describe, expect, it } from 'vitest';
import type { GapEvent } from '../src';
import { setup } from './support/harness';

describe('a since ahead of the server head', () => {
  it('is a gap back to the head, then the next offsets are delivered, not dropped as duplicates', () => {
    const h = setup();
    h.accept();
    const ch = h.client.channel('room', { since: { offset: 10, epoch: 'e1' } });
    const gaps: GapEvent[] = [];
    ch.on('gap', (g) => gaps.push(g));
    const got: unknown[] = [];
    ch.subscribe((m) => void got.push(m.data));
    const sub = h.sock.frames('sub').at(-1);
    expect(sub.since).toEqual({ offset: 10, epoch: 'e1' });
    h.sock.push({ type: 'subscribed', ref: sub.ref, channel: 'room', epoch: 'e1', offset: 7, recovered: false, reason: 'out-of-retention' });
    expect(gaps).toEqual([{ channel: 'room', from: { offset: 10, epoch: 'e1' }, to: { offset: 7, epoch: 'e1' }, reason: 'out-of-retention' }]);
    expect(ch.position).toEqual({ offset: 7, epoch: 'e1' });
    h.msg('room', 8, 'e1', 'new-1');
    h.msg('room', 9, 'e1', 'new-2');
    expect(got).toEqual(['new-1', 'new-2']);
    expect(ch.position).toEqual({ offset: 9, epoch: 'e1' });
  });
});
