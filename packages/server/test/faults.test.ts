import { describe, expect, it } from 'vitest';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';

const { start, connect, open } = useServer();

describe('fault hooks', () => {
  it('exist only with faults: true, and their HTTP routes likewise', async () => {
    const server = await start();
    expect(server.faults).toBeUndefined();
    expect((await fetch(`${server.httpUrl}/_test/faults/drop-all`, { method: 'POST' })).status).toBe(404);
  });

  it('dropAll() terminates every socket (1006), or closes with a given code; the server stays up', async () => {
    const server = await start({ faults: true });
    const a = await connect();
    const echo = await open('/echo');
    server.faults!.dropAll();
    expect((await a.waitClosed()).code).toBe(1006);
    expect((await echo.waitClosed()).code).toBe(1006);
    const b = await connect();
    server.faults!.dropAll(1001);
    expect((await b.waitClosed()).code).toBe(1001);
    const c = await connect();
    expect(await c.publish('up', 1, 'u')).toMatchObject({ type: 'ack' });
  });

  it('stallAll() makes current sockets half-open: nothing read or written, nothing closed', async () => {
    const server = await start({ faults: true });
    const stalled = await connect();
    await stalled.subscribe('s');
    server.faults!.stallAll();
    stalled.send({ type: 'ping', t: 1 });
    const fresh = await connect(); // sockets opened later are not stalled
    await fresh.subscribe('s');
    const ack = await fresh.publish('s', 'hello?', 'h1');
    await fresh.next('msg', (m) => m.offset === ack.offset);
    fresh.send({ type: 'ping', t: 2 });
    await fresh.next('pong');
    expect(stalled.frames.filter((f) => f.type === 'pong' || f.type === 'msg')).toEqual([]);
    expect(stalled.closed).toBeUndefined();
    expect(server.stats().connections).toBe(2);
  });

  it('delay(ms) holds every outbound frame for ms (fake clock); delay(0) turns it off', async () => {
    const clock = new FakeClock();
    const server = await start({ faults: true, clock });
    const c = await connect();
    server.faults!.delay(5000);
    c.send({ type: 'ping', t: 7 });
    await waitFor(() => (server.stats().framesIn.ping ?? 0) === 1, 'the server to read the ping');
    clock.advance(4999);
    expect(c.frames.some((f) => f.type === 'pong')).toBe(false);
    clock.advance(1);
    expect(await c.next('pong')).toEqual({ type: 'pong', t: 7 });
    server.faults!.delay(0);
    c.send({ type: 'ping', t: 8 });
    await c.next('pong', (f) => f.t === 8);
  });

  it('restart() drops everyone and loses the log: the old epoch is answered with epoch-changed', async () => {
    const server = await start({ faults: true });
    const a = await connect();
    await a.request({ type: 'presence.enter', channel: 'r' });
    const before = await a.publish('r', 1, 'r1');
    await server.faults!.restart();
    expect((await a.waitClosed()).code).toBe(1006);
    const b = await connect();
    const sub = await b.subscribe('r', { offset: before.offset, epoch: before.epoch });
    expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 0, presence: [] });
    expect(sub.epoch).not.toBe(before.epoch);
    // the dedupe memory went with the log
    expect(await b.publish('r', 1, 'r1')).toMatchObject({ type: 'ack', offset: 1 });
    expect((await b.publish('r', 1, 'r1')).duplicate).toBe(true);
  });

  it('the HTTP fault routes drive the same hooks (for the CLI --test-faults mode)', async () => {
    const server = await start({ faults: true });
    const a = await connect();
    const res = await fetch(`${server.httpUrl}/_test/faults/drop-all?code=1001`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await a.waitClosed()).code).toBe(1001);
    expect((await fetch(`${server.httpUrl}/_test/faults/restart`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/_test/faults/bogus`, { method: 'POST' })).status).toBe(404);
  });
});
