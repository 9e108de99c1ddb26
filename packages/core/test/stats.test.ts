import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

describe('stats and self-explaining events', () => {
  it('counts reconnects, attempt, last close, outbox, received/replayed/deduped and gaps', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    h.msg('room', 1);
    void h.client.publish('room', 'x').catch(() => {});
    h.sock.serverClose(1011, 'boom');
    expect(h.client.stats()).toMatchObject({
      reconnects: 0,
      attempt: 1,
      lastCloseCode: 1011,
      lastCloseReason: 'boom',
      outboxDepth: 1,
      received: 1,
      deduped: 1,
      gaps: 0,
    });
    expect(h.client.stats().outboxBytes).toBeGreaterThan(0);
    h.clock.advance(10);
    h.accept();
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 2);
    h.msg('room', 3);
    expect(h.client.stats()).toMatchObject({ reconnects: 1, attempt: 0, received: 3, replayed: 2 });
  });

  it('a closed transition carries the close code, reason, attempt and scheduled retry', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 250 } });
    h.accept();
    h.sock.serverClose(1013, 'retry-after-ms=1000');
    const last = h.states.at(-1)!;
    expect(last).toMatchObject({ from: 'open', to: 'closed', reason: 'socket-closed', attempt: 1, closeCode: 1013, closeReason: 'retry-after-ms=1000' });
    expect(last.retryInMs).toBeGreaterThanOrEqual(1000);
  });
});
