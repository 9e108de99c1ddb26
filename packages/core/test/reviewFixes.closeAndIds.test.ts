// Found by a review of the day's changes: a message taken while close() waited for the
// socket moved the position past one whose handler had failed; a clientId cut at its
// 100th unit through an emoji made every generated publish id invalid; presence info
// made circular after enter() threw inside the next welcome.
import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isLifelineError(e) ? `${e.code}: ${e.message}` : `other: ${String(e)}`));

describe('messages arriving while close() waits for the socket', () => {
  it('are not taken: a failed message and the ones after it come again from the position on the next connect', async () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 5_000 } });
    h.accept();
    const ch = h.client.channel('room');
    ch.on('error', () => {});
    let fail!: (e: Error) => void;
    const got: number[] = [];
    ch.subscribe((m) => {
      got.push(m.offset);
      if (m.offset === 1 && got.length === 1) return new Promise<void>((_, reject) => (fail = reject));
    });
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    const closing = h.client.close(); // the socket is closing; the server's frames still arrive
    h.msg('room', 2);
    fail(new Error('handler failed on 1'));
    await flushPromises();
    h.msg('room', 3);
    h.sock.serverClose(1000);
    await closing;
    expect(got).toEqual([1]);
    expect(ch.position).toEqual({ offset: 0, epoch: 'e1' });
    h.client.connect();
    h.accept();
    expect(h.sock.frames('sub').at(-1).since).toEqual({ offset: 0, epoch: 'e1' });
    h.answerSubs({ room: { offset: 3, epoch: 'e1', recovered: true, replay: 3 } as any });
    for (const o of [1, 2, 3]) h.msg('room', o);
    await flushPromises();
    expect(got).toEqual([1, 1, 2, 3]);
  });
});

describe('a clientId of more than 100 units', () => {
  it('cut through a surrogate pair at unit 100: generated publish ids stay well-formed', async () => {
    const h = setup({ clientId: 'a'.repeat(99) + '\u{1F600}' });
    h.accept();
    expect(await Promise.race([codeOf(h.client.publish('room', 1)), flushPromises().then(() => 'sent')])).toBe('sent');
    const [id] = h.sock.frames('pub').map((f) => f.id as string);
    expect(id!.startsWith('a'.repeat(99) + '-')).toBe(true);
    expect(id!.length).toBeLessThanOrEqual(128);
  });
});

describe('presence info changed after enter()', () => {
  it('is entered as it was at the call, even made circular later: the next welcome re-subscribes, re-enters and sends the outbox', () => {
    const h = setup({ reconnect: { jitter: 'none', initialDelayMs: 10 } });
    h.accept();
    const info: Record<string, unknown> = { name: 'ada' };
    void h.client.channel('a').presence.enter(info).catch(() => {});
    h.client.channel('b').subscribe(() => {});
    info.self = info;
    info.name = 'changed';
    h.sock.serverClose(1006);
    h.clock.advance(10);
    void h.client.publish('b', 'queued');
    expect(() => h.accept()).not.toThrow();
    expect(h.sock.frames('presence.enter').map((f) => f.info)).toEqual([{ name: 'ada' }]);
    expect(h.sock.frames('sub').map((f) => f.channel)).toEqual(['b']);
    expect(h.sock.frames('pub').map((f) => f.data)).toEqual(['queued']);
  });
});
