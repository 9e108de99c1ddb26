import { describe, expect, it } from 'vitest';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';

const { start, connect, open } = useServer();

describe('handshake', () => {
  it('an unsupported protocol version gets UNSUPPORTED_VERSION then close 4000', async () => {
    await start();
    const c = await open();
    c.send({ type: 'hello', v: 2 });
    expect((await c.waitClosed()).code).toBe(4000);
    expect(c.frames).toEqual([expect.objectContaining({ type: 'error', code: 'UNSUPPORTED_VERSION' })]);
  });

  it('any other frame before hello (valid or not) closes with 4203', async () => {
    await start();
    for (const first of [{ type: 'sub', ref: 1, channel: 'a' }, 'not json', { type: 'bogus' }]) {
      const c = await open();
      c.send(first);
      expect((await c.waitClosed()).code).toBe(4203);
      expect(c.frames[0]).toMatchObject({ type: 'error' });
    }
  });

  it('no hello within the handshake timeout closes with 4200 (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ clock, handshakeTimeoutMs: 10_000 });
    const c = await open();
    const ok = await open();
    ok.send({ type: 'hello', v: 1 });
    await ok.next('welcome');
    clock.advance(9_999);
    c.send({ type: 'ping' }); // before hello: a protocol error, so use a separate socket for the edge
    expect((await c.waitClosed()).code).toBe(4203);
    const slow = await open();
    clock.advance(9_999);
    ok.send({ type: 'ping', t: 1 });
    await ok.next('pong');
    expect(slow.closed).toBeUndefined();
    clock.advance(1);
    expect((await slow.waitClosed()).code).toBe(4200);
    expect(ok.closed).toBeUndefined();
  });

  it('a second hello is a BAD_FRAME error and the connection is kept', async () => {
    await start();
    const c = await connect();
    c.send({ type: 'hello', v: 1 });
    expect(await c.next('error')).toMatchObject({ code: 'BAD_FRAME' });
    expect(await c.subscribe('still-ok')).toMatchObject({ type: 'subscribed' });
  });

  it('clientId defaults to the session id', async () => {
    await start();
    const c = await connect();
    await c.request({ type: 'presence.enter', channel: 'p' });
    const session = c.frames.find((f) => f.type === 'welcome')!.session;
    expect((await c.subscribe('p')).presence).toEqual([{ clientId: session }]);
  });
});
