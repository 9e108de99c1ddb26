// A presence.enter the server refuses: said on the channel's and the client's `error`
// event (it only rejected the promise, which React's usePresence does not read), retried
// after the server's hint when the refusal is transient, given up when it is not.
import { describe, expect, it } from 'vitest';
import { isLifelineError, type LifelineError } from '../src';
import { flushPromises, setup } from './support/harness';

function entering() {
  const h = setup();
  h.accept();
  const ch = h.client.channel('room');
  const chErrors: LifelineError[] = [];
  ch.on('error', (e) => chErrors.push(e));
  let settled: string | undefined;
  const entered = ch.presence.enter({ name: 'ada' }).then(
    () => void (settled = 'entered'),
    (e: unknown) => void (settled = isLifelineError(e) ? (e.serverCode ?? e.code) : 'other'),
  );
  const enters = () => h.sock.frames('presence.enter');
  return { h, ch, chErrors, entered, enters, settled: () => settled };
}

describe('a refused presence.enter', () => {
  it('definitive (FORBIDDEN): rejects the promise, an error event on channel and client, not re-sent after a reconnect', async () => {
    const t = entering();
    const ref = t.enters()[0].ref;
    t.h.sock.push({ type: 'error', ref, channel: 'room', code: 'FORBIDDEN', message: 'token does not allow presence on room' });
    await flushPromises();
    expect(t.settled()).toBe('FORBIDDEN');
    expect(t.chErrors.map((e) => e.serverCode)).toEqual(['FORBIDDEN']);
    expect(t.h.errors.map((e) => [e.code, e.serverCode, e.channel])).toEqual([['SERVER_ERROR', 'FORBIDDEN', 'room']]);
    t.h.sock.serverClose(1006);
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    expect(t.h.client.state).toBe('open');
    expect(t.enters()).toHaveLength(0);
  });

  it('an update refused (BAD_FIELD) after a confirmed enter: the reconnect enters again with the confirmed info, not nothing', async () => {
    const t = entering();
    t.h.sock.push({ type: 'presence.ok', ref: t.enters()[0].ref, channel: 'room' });
    await t.entered;
    const update = t.ch.presence.enter({ name: 'x'.repeat(9000) }).catch((e: LifelineError) => e.serverCode);
    t.h.sock.push({ type: 'error', ref: t.enters()[1].ref, channel: 'room', code: 'BAD_FIELD', message: 'info too large' });
    expect(await update).toBe('BAD_FIELD');
    t.h.sock.serverClose(1006);
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    // The server still held { name: 'ada' } (the refused update changed nothing there).
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'ada' }]);
  });

  it('a leave, then a refusal of an enter sent before it: not present again', async () => {
    const t = entering();
    t.h.sock.push({ type: 'presence.ok', ref: t.enters()[0].ref, channel: 'room' });
    await t.entered;
    void t.ch.presence.enter({ name: 'y'.repeat(9000) }).catch(() => {});
    const sent = t.enters()[1];
    await t.ch.presence.leave();
    t.h.sock.push({ type: 'error', ref: sent.ref, channel: 'room', code: 'BAD_FIELD', message: 'info too large' });
    await flushPromises();
    t.h.sock.serverClose(1006);
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    expect(t.enters()).toHaveLength(0);
  });

  it('enter, leave, then the first enter confirmed and a new enter refused: not present again (the server holds nothing after the leave)', async () => {
    const t = entering();
    await t.ch.presence.leave();
    t.h.sock.push({ type: 'presence.ok', ref: t.enters()[0].ref, channel: 'room' });
    await t.entered;
    const refused = t.ch.presence.enter({ name: 'z'.repeat(9000) }).catch((e: LifelineError) => e.serverCode);
    t.h.sock.push({ type: 'error', ref: t.enters()[1].ref, channel: 'room', code: 'BAD_FIELD', message: 'info too large' });
    expect(await refused).toBe('BAD_FIELD');
    t.h.sock.serverClose(1006);
    t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
    t.h.accept();
    expect(t.enters()).toHaveLength(0);
  });

  it('transient (BROKER_UNAVAILABLE with retryAfterMs): an error event, the same enter again after the hint, resolved when the server takes it', async () => {
    const t = entering();
    const first = t.enters()[0];
    t.h.sock.push({ type: 'error', ref: first.ref, channel: 'room', code: 'BROKER_UNAVAILABLE', message: 'presence not stored', retryAfterMs: 1000 });
    await flushPromises();
    expect(t.settled()).toBeUndefined();
    expect(t.chErrors.map((e) => e.serverCode)).toEqual(['BROKER_UNAVAILABLE']);
    t.h.clock.advance(999);
    expect(t.enters()).toHaveLength(1);
    t.h.clock.advance(1);
    expect(t.enters()).toHaveLength(2);
    const again = t.enters()[1];
    expect(again.info).toEqual({ name: 'ada' });
    expect(again.ref).not.toBe(first.ref);
    t.h.sock.push({ type: 'presence.ok', ref: again.ref, channel: 'room' });
    await t.entered;
    expect(t.settled()).toBe('entered');
  });

  it('transient with a malformed hint waits 1 s, not a loop', () => {
    const t = entering();
    t.h.sock.push({ type: 'error', ref: t.enters()[0].ref, channel: 'room', code: 'BROKER_UNAVAILABLE', message: 'x', retryAfterMs: -5 });
    t.h.clock.advance(999);
    expect(t.enters()).toHaveLength(1);
    t.h.clock.advance(1);
    expect(t.enters()).toHaveLength(2);
  });

  it('a retry pending when the connection drops is not sent twice: the reconnect re-enters once', () => {
    const t = entering();
    t.h.sock.push({ type: 'error', ref: t.enters()[0].ref, channel: 'room', code: 'BROKER_UNAVAILABLE', message: 'x', retryAfterMs: 5000 });
    t.h.sock.serverClose(1006);
    t.h.clock.advance(1000);
    t.h.accept();
    expect(t.enters()).toHaveLength(1);
    t.h.clock.advance(10_000);
    expect(t.enters()).toHaveLength(1);
  });

  it('a retry pending at close(): the promise rejects CLIENT_CLOSED and no timer is left behind', async () => {
    const t = entering();
    t.h.sock.push({ type: 'error', ref: t.enters()[0].ref, channel: 'room', code: 'BROKER_UNAVAILABLE', message: 'x', retryAfterMs: 5000 });
    void t.h.client.close();
    t.h.sock.serverClose(1000);
    await flushPromises();
    expect(t.settled()).toBe('CLIENT_CLOSED');
    expect(t.h.clock.pending()).toBe(0);
  });

  it('a leave() while a retry waits: no enter goes out after it, the promise resolves', async () => {
    const t = entering();
    t.h.sock.push({ type: 'error', ref: t.enters()[0].ref, channel: 'room', code: 'BROKER_UNAVAILABLE', message: 'x', retryAfterMs: 1000 });
    await t.ch.presence.leave();
    t.h.clock.advance(5000);
    expect(t.enters()).toHaveLength(1);
    await flushPromises();
    expect(t.settled()).toBe('entered');
  });
});

/** Entered and confirmed, then the connection dropped and came back: the re-entry is the last enter frame. */
async function reentered() {
  const t = entering();
  t.h.sock.push({ type: 'presence.ok', ref: t.enters()[0].ref, channel: 'room' });
  await t.entered;
  t.h.sock.serverClose(1006);
  t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
  t.h.accept();
  const re = t.enters()[0];
  expect(re.info).toEqual({ name: 'ada' });
  return { ...t, re };
}

const reconnect = (t: Awaited<ReturnType<typeof reentered>>) => {
  t.h.sock.serverClose(1006);
  t.h.clock.advance(t.h.client.getSnapshot().retryInMs!);
  t.h.accept();
};

describe('the re-entry after a reconnect, refused', () => {
  it('transient (BROKER_UNAVAILABLE with retryAfterMs): sent again after the hint (the member was missing until the next reconnect)', async () => {
    const t = await reentered();
    t.h.sock.push({ type: 'error', ref: t.re.ref, channel: 'room', code: 'BROKER_UNAVAILABLE', message: 'presence not stored', retryAfterMs: 1000 });
    await flushPromises();
    expect(t.chErrors.map((e) => e.serverCode)).toEqual(['BROKER_UNAVAILABLE']);
    t.h.clock.advance(1000);
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'ada' }, { name: 'ada' }]);
  });

  it('definitive (FORBIDDEN: the new token does not allow it): an error event, and not sent again on every later reconnect', async () => {
    const t = await reentered();
    t.h.sock.push({ type: 'error', ref: t.re.ref, channel: 'room', code: 'FORBIDDEN', message: 'token does not allow presence on room' });
    await flushPromises();
    expect(t.chErrors.map((e) => e.serverCode)).toEqual(['FORBIDDEN']);
    reconnect(t);
    expect(t.enters()).toHaveLength(0);
  });

  it('unanswered, the connection drops: entered again on the next one, and the wish survives close() and connect()', async () => {
    const t = await reentered();
    reconnect(t);
    expect(t.enters()).toHaveLength(1);
    const closing = t.h.client.close();
    t.h.sock.serverClose(1000);
    await closing;
    t.h.client.connect();
    t.h.accept();
    expect(t.enters().map((f) => f.info)).toEqual([{ name: 'ada' }]);
  });
});
