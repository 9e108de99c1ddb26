import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { setup } from './support/harness';

describe('bad input from the server', () => {
  it.each([
    ['not JSON', '{nope'],
    ['not an object', '42'],
    ['null', 'null'],
    ['no type', '{"channel":"room"}'],
    ['a type that is not a string', '{"type":7}'],
    ['msg without offset', '{"type":"msg","channel":"room","epoch":"e1","data":1}'],
  ])('%s → an error event with BAD_FRAME; the connection carries on', (_, raw) => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    ch.subscribe((m) => void got.push(m.offset));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    s.push(raw);
    expect(h.errors.length).toBe(1);
    expect(isLifelineError(h.errors[0], 'BAD_FRAME')).toBe(true);
    expect(h.client.state).toBe('open');
    h.msg('room', 1);
    expect(got).toEqual([1]);
  });

  it('a frame of a type this client does not know (a newer server\'s, PROTOCOL §16) is ignored: no error event, the connection carries on', () => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    ch.subscribe((m) => void got.push(m.offset));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    s.push('{"type":"surprise","channel":"room","offset":1,"epoch":"e1"}');
    s.push('{"type":"Msg","channel":"room","offset":1,"epoch":"e1","data":1}');
    expect(h.errors).toEqual([]);
    expect(h.client.state).toBe('open');
    h.msg('room', 1);
    expect(got).toEqual([1]);
  });

  it.each([
    ['offset not a number, epoch not a string, presence null', { offset: 'x', epoch: 1, presence: null }],
    ['presence not an array', { offset: 0, epoch: 'e1', presence: 'x' }],
    ['a presence member without clientId', { offset: 0, epoch: 'e1', presence: [null] }],
  ])('subscribed with %s → BAD_FRAME, no throw; the connection is renewed (badSubscribed.test.ts) and its answer subscribes', (_, bad) => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    ch.subscribe((m) => void got.push(m.offset));
    const ref = s.frames('sub')[0].ref;
    expect(() => s.push({ type: 'subscribed', ref, channel: 'room', ...bad })).not.toThrow();
    expect(h.errors.length).toBe(1);
    expect(isLifelineError(h.errors[0], 'BAD_FRAME')).toBe(true);
    expect(h.client.getSnapshot()).toMatchObject({ state: 'closed', reason: 'bad-frame' });
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    expect(ch.getSnapshot().state).toBe('subscribed');
    h.msg('room', 1);
    expect(got).toEqual([1]);
  });

  it.each([
    ['without heartbeatMs', { heartbeatMs: undefined }],
    ['with heartbeatMs a string', { heartbeatMs: '15000' }],
    ['with heartbeatMs 0', { heartbeatMs: 0 }],
    ['with heartbeatMs null', { heartbeatMs: null }],
  ])('a welcome %s → BAD_FRAME, dropped; a valid welcome still opens', (_, over) => {
    const h = setup();
    const s = h.sock;
    s.open();
    expect(() => s.push(JSON.stringify({ type: 'welcome', v: 1, session: 's_1', serverTime: 0, ...over }))).not.toThrow();
    expect(isLifelineError(h.errors[0], 'BAD_FRAME')).toBe(true);
    expect(h.client.state).not.toBe('open');
    h.accept();
    expect(h.client.state).toBe('open');
  });

  it.each([
    ['no member', {}],
    ['a member without a string clientId', { member: { clientId: 7 } }],
  ])('a presence event with %s → BAD_FRAME; later valid events still apply', (_, over) => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    ch.subscribe(() => {});
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    expect(() => s.push({ type: 'presence', channel: 'room', event: 'join', ...over })).not.toThrow();
    expect(isLifelineError(h.errors[0], 'BAD_FRAME')).toBe(true);
    expect(h.client.state).toBe('open');
    s.push({ type: 'presence', channel: 'room', event: 'join', member: { clientId: 'a' } });
    expect(ch.presence.members().map((m) => m.clientId)).toEqual(['a']);
  });

  it('a binary frame is BAD_FRAME too', () => {
    const h = setup();
    const s = h.accept();
    s.pushRaw(new Uint8Array([1, 2, 3]));
    expect(isLifelineError(h.errors[0], 'BAD_FRAME')).toBe(true);
    expect(h.client.state).toBe('open');
  });

  it('a server error frame without a ref is reported as SERVER_ERROR and kept', () => {
    const h = setup();
    const s = h.accept();
    s.push({ type: 'error', code: 'BAD_FRAME', message: 'you sent junk' });
    expect(h.errors[0]).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'BAD_FRAME' });
    expect(h.client.state).toBe('open');
  });

  it('messages for channels nobody subscribed to are ignored without error', () => {
    const h = setup();
    h.accept();
    h.msg('elsewhere', 1);
    expect(h.errors).toEqual([]);
  });
});

describe('offsets that are not log offsets (PROTOCOL §3: integers from 0, +1 per message)', () => {
  // Raw text: 1e999 parses to Infinity, 2^53 + 2 cannot be told from its neighbours.
  const offsets = [['1.5'], ['1e999'], ['-1'], ['9007199254740994'], ['"1"']];

  it.each(offsets)('a msg with offset %s → BAD_FRAME; the stream carries on without a gap', (raw) => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    const gaps: unknown[] = [];
    ch.on('gap', (g) => void gaps.push(g));
    ch.subscribe((m) => void got.push(m.offset));
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    s.push(`{"type":"msg","channel":"room","offset":${raw},"epoch":"e1","data":0}`);
    expect(h.errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
    h.msg('room', 2);
    expect(got).toEqual([1, 2]);
    expect(gaps).toEqual([]);
    expect(ch.position).toEqual({ offset: 2, epoch: 'e1' });
  });

  it.each(offsets)('a subscribed with offset %s → BAD_FRAME; the answer on the renewed connection subscribes, nothing is dropped', (raw) => {
    const h = setup();
    const s = h.accept();
    const ch = h.client.channel('room');
    const got: number[] = [];
    ch.subscribe((m) => void got.push(m.offset));
    const ref = s.frames('sub')[0].ref;
    s.push(`{"type":"subscribed","ref":${ref},"channel":"room","offset":${raw},"epoch":"e1"}`);
    expect(h.errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
    expect(ch.position).toBeNull();
    h.clock.advance(h.client.getSnapshot().retryInMs!);
    h.accept();
    h.answerSubs({ room: { offset: 0, epoch: 'e1' } });
    h.msg('room', 1);
    expect(got).toEqual([1]);
    expect(h.client.stats().deduped).toBe(0);
  });

  it('an ack without an offset → BAD_FRAME; the publish is not resolved with a missing offset', async () => {
    const h = setup();
    const s = h.accept();
    let result: unknown = 'pending';
    void h.client.publish('room', 1).then((r) => (result = r));
    const pub = s.frames('pub')[0];
    s.push({ type: 'ack', ref: pub.ref, channel: 'room', id: pub.id });
    await Promise.resolve();
    expect(h.errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
    expect(result).toBe('pending');
    s.push({ type: 'ack', ref: pub.ref, channel: 'room', id: pub.id, offset: 7, epoch: 'e1' });
    await Promise.resolve();
    expect(result).toEqual({ offset: 7, epoch: 'e1', duplicate: false });
  });
});
