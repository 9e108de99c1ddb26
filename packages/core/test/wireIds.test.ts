// Ids the server refuses were found out late or never: a clientId outside 1-128
// well-formed characters had every hello refused (BAD_FIELD, close 4203) and the client
// retried for ever; a clientId of ~116+ characters made every generated publish id
// longer than 128, so every publish without its own id was refused; a publish id with a
// lone surrogate was refused only by the server.
import { describe, expect, it } from 'vitest';
import { createClient, isLifelineError } from '../src';
import { setup } from './support/harness';

const refusal = (f: () => unknown): string => {
  try {
    f();
    return 'accepted';
  } catch (e) {
    return isLifelineError(e) ? `${e.code}: ${e.message}` : `other: ${String(e)}`;
  }
};

describe('ids the protocol accepts, checked before they are sent', () => {
  it.each([
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a lone high surrogate', 'ada\ud800'],
    ['a lone low surrogate', '\udc00ada'],
    ['not a string', 42],
  ])('createClient refuses a clientId that is %s with BAD_ARGUMENT, before connecting', (_name, clientId) => {
    expect(refusal(() => createClient({ url: 'ws://127.0.0.1:1/v1', clientId: clientId as string, autoConnect: false, lifecycle: false }))).toBe(
      'BAD_ARGUMENT: option clientId: 1-128 well-formed chars',
    );
  });

  it('accepts 128 characters, and a surrogate pair', () => {
    expect(refusal(() => createClient({ url: 'ws://127.0.0.1:1/v1', clientId: 'x'.repeat(128), autoConnect: false, lifecycle: false }))).toBe('accepted');
    expect(refusal(() => createClient({ url: 'ws://127.0.0.1:1/v1', clientId: 'ada-\u{1F600}', autoConnect: false, lifecycle: false }))).toBe('accepted');
  });

  it('a 128-character clientId still gets valid generated publish ids (at most 128, distinct)', () => {
    const h = setup({ clientId: 'x'.repeat(128) });
    h.accept();
    for (let i = 0; i < 3; i++) void h.client.publish('room', i);
    const ids = h.sock.frames('pub').map((f) => f.id as string);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      expect(id.length).toBeLessThanOrEqual(128);
      expect(id.startsWith('x'.repeat(100) + '-')).toBe(true);
    }
  });

  it('a publish id with a lone surrogate is refused locally with BAD_ARGUMENT; a surrogate pair is sent', async () => {
    const h = setup();
    h.accept();
    const bad = await h.client.publish('room', 1, { id: 'p\ud800' }).then(
      () => 'sent',
      (e: unknown) => (isLifelineError(e) ? `${e.code}: ${e.message}` : 'other'),
    );
    expect(bad).toBe('BAD_ARGUMENT: publish to room: id must be 1-128 well-formed chars');
    void h.client.publish('room', 2, { id: 'p\u{1F600}' });
    expect(h.sock.frames('pub').map((f) => f.id)).toEqual(['p\u{1F600}']);
  });
});
