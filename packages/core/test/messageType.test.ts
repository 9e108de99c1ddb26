// `Message.type` is typed `'msg'` (required): every message a handler gets is a frame whose own
// type is 'msg', live, replayed, or redelivered after a handler failure. A frame without it
// never reaches a handler, whatever the server sends (types.test-d.ts checks the type).
import { describe, expect, it } from 'vitest';
import type { Message } from '../src';
import { flushPromises, setup } from './support/harness';

describe("every delivered message has type 'msg'", () => {
  it('live, replayed and redelivered messages', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const got: Message[] = [];
    let failOnce = true;
    h.client.channel('room').subscribe((m) => {
      if (m.offset === 3 && failOnce) {
        failOnce = false;
        throw new Error('once');
      }
      got.push(m);
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1); // live
    h.sock.serverClose(1006);
    h.clock.advance(10);
    h.accept();
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 2 } });
    h.msg('room', 2); // replayed
    h.msg('room', 3); // its handler throws: redelivered after a backoff
    h.clock.advance(1000);
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 1 } });
    h.msg('room', 3);
    await flushPromises();
    expect(got.map((m) => [m.offset, m.type])).toEqual([
      [1, 'msg'],
      [2, 'msg'],
      [3, 'msg'],
    ]);
  });

  it('a frame without a type is a BAD_FRAME, not a message', () => {
    const h = setup();
    h.accept();
    const got: unknown[] = [];
    h.client.channel('room').subscribe((m) => void got.push(m));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.sock.push({ channel: 'room', offset: 1, epoch: 'e1', data: 1 });
    expect(got).toEqual([]);
    expect(h.errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
  });
});
