// The welcome re-subscribes every channel and re-enters presence; an enter above the
// server's maxFrameBytes is refused right there, as an `error` event. What a listener
// of it does (enter again with less, subscribe another channel) waited for the next
// connection: the client did not count as welcomed until the re-subscription ended.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

const limits = { maxFrameBytes: 200, maxChannels: 100, publishPerSec: 100, publishBurst: 200 };

describe('an error listener told during the welcome (presence info too large)', () => {
  it('entering again with less info: sent on this connection, and its promise settles on the answer', async () => {
    const h = setup();
    const a = h.client.channel('a');
    a.subscribe(() => {});
    const big = a.presence.enter({ x: 'y'.repeat(300) });
    let small: Promise<void> | undefined;
    h.client.on('error', (e) => {
      if (isLifelineError(e, 'MESSAGE_TOO_LARGE')) small ??= a.presence.enter({ x: 'y' });
    });
    const s = h.accept({ limits });
    await expect(big).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    const enters = s.frames('presence.enter');
    expect(enters.map((f) => f.info)).toEqual([{ x: 'y' }]);
    s.push({ type: 'presence.ok', ref: enters[0].ref, channel: 'a' });
    await expect(small).resolves.toBeUndefined();
  });

  it('subscribing another channel: one sub for it on this connection; the others once each', async () => {
    const h = setup();
    const a = h.client.channel('a');
    a.subscribe(() => {});
    void a.presence.enter({ x: 'y'.repeat(300) }).catch(() => {});
    const c = h.client.channel('c');
    c.subscribe(() => {});
    h.client.on('error', () => {
      h.client.channel('b').subscribe(() => {});
      c.subscribe(() => {}); // not its first handler: nothing to send
    });
    const s = h.accept({ limits });
    await flushPromises();
    expect(s.frames('sub').map((f) => f.channel).sort()).toEqual(['a', 'b', 'c']);
    h.answerSubs({ a: { offset: 0, epoch: 'e1' }, b: { offset: 0, epoch: 'e1' }, c: { offset: 0, epoch: 'e1' } });
    expect(h.client.channel('b').getSnapshot().state).toBe('subscribed');
  });

  it('a channel whose first handler comes from the listener, before its turn in the re-subscription: one sub', async () => {
    const h = setup();
    const a = h.client.channel('a');
    a.subscribe(() => {});
    void a.presence.enter({ x: 'y'.repeat(300) }).catch(() => {});
    const later = h.client.channel('later'); // after 'a' in the re-subscription
    h.client.on('error', () => void later.subscribe(() => {}));
    const s = h.accept({ limits });
    await flushPromises();
    expect(s.frames('sub').map((f) => f.channel)).toEqual(['a', 'later']);
  });

  it('entering on a channel later in the re-subscription: one enter for it on this connection', async () => {
    const h = setup();
    const a = h.client.channel('a');
    a.subscribe(() => {});
    void a.presence.enter({ x: 'y'.repeat(300) }).catch(() => {});
    const later = h.client.channel('later'); // re-entered after 'a' by the welcome
    void later.presence.enter({ n: 1 });
    let again: Promise<void> | undefined;
    h.client.on('error', () => void (again ??= later.presence.enter({ n: 2 })));
    const s = h.accept({ limits });
    await flushPromises();
    const enters = s.frames('presence.enter');
    expect(enters.map((f) => [f.channel, f.info])).toEqual([['later', { n: 2 }]]);
    s.push({ type: 'presence.ok', ref: enters[0].ref, channel: 'later' });
    await expect(again).resolves.toBeUndefined();
  });

  it('the next connection re-enters it again', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    const ch = h.client.channel('room');
    void ch.presence.enter({ n: 1 });
    h.accept();
    expect(h.sock.frames('presence.enter').length).toBe(1);
    h.sock.serverClose(1006);
    h.clock.advance(10);
    const s = h.accept();
    expect(s.frames('presence.enter').map((f) => f.info)).toEqual([{ n: 1 }]);
  });
});
