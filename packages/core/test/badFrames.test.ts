import { describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { setup } from './support/harness';

describe('bad input from the server', () => {
  it.each([
    ['not JSON', '{nope'],
    ['not an object', '42'],
    ['null', 'null'],
    ['unknown type', '{"type":"surprise"}'],
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
