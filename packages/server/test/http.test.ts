import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { memoryBroker } from '../src/index';
import { useServer } from './helpers/serverFixture';

const fixture = useServer();
const { start, connect } = fixture;

const post = (body: unknown, raw?: string) =>
  fetch(`${fixture.server.httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });

describe('/echo', () => {
  it('echoes text and binary frames verbatim, keeping the opcode', async () => {
    const server = await start();
    const ws = new WebSocket(`${server.url}/echo`);
    const got: { data: Buffer; binary: boolean }[] = [];
    ws.on('message', (data, binary) => got.push({ data: data as Buffer, binary }));
    await new Promise((r) => ws.once('open', r));
    const bin = Buffer.from([0, 1, 2, 255, 254]);
    ws.send('héllo {"not":"parsed"}');
    ws.send(bin);
    ws.send('');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => got.length === 3 && (clearInterval(t), resolve()), 5);
    });
    expect(got[0]).toEqual({ data: Buffer.from('héllo {"not":"parsed"}'), binary: false });
    expect(got[1]).toEqual({ data: bin, binary: true });
    expect(got[2]).toEqual({ data: Buffer.alloc(0), binary: false });
    ws.terminate();
  });
});

describe('HTTP endpoints', () => {
  it('GET /healthz answers 200 ok with the connection count', async () => {
    const server = await start();
    await connect();
    const res = await fetch(`${server.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, connections: 1 });
  });

  it('GET /healthz answers 503 when the broker does not answer', async () => {
    const broker = memoryBroker();
    const server = await start({ broker });
    await broker.close();
    const res = await fetch(`${server.httpUrl}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, broker: false });
  });

  it('POST /v1/publish stores, fans out, and dedupes by id', async () => {
    await start();
    const sub = await connect();
    await sub.subscribe('room:1');
    const res = await post({ channel: 'room:1', data: { text: 'from backend' }, id: 'order-991' });
    expect(res.status).toBe(200);
    const first = await res.json();
    expect(first).toEqual({ offset: 1, epoch: expect.stringMatching(/^e_/) });
    expect(await sub.next('msg')).toMatchObject({ offset: 1, data: { text: 'from backend' }, id: 'order-991' });
    const again = await (await post({ channel: 'room:1', data: { text: 'from backend' }, id: 'order-991' })).json();
    expect(again).toEqual({ ...first, duplicate: true });
    const noId = await (await post({ channel: 'room:1', data: 2 })).json();
    expect(noId.offset).toBe(2);
    // "id": null is an absent id (it is optional), not a 400
    const nullId = await post({ channel: 'room:1', data: 3, id: null });
    expect(nullId.status).toBe(200);
    expect(await nullId.json()).toEqual({ offset: 3, epoch: first.epoch });
  });

  it('POST /v1/publish rejects bad input with typed errors', async () => {
    const server = await start({ maxFrameBytes: 16_384 });
    const cases: [Response, number, string][] = [
      [await post(undefined, '{nope'), 400, 'BAD_FRAME'],
      [await post([1, 2]), 400, 'BAD_FRAME'],
      [await post({ data: 1 }), 400, 'BAD_FIELD'],
      [await post({ channel: 'bad channel!', data: 1 }), 400, 'BAD_FIELD'],
      [await post({ channel: 'ok' }), 400, 'BAD_FIELD'],
      [await post({ channel: 'ok', data: 1, id: '' }), 400, 'BAD_FIELD'],
      // Valid JSON that cannot be sent on: nested past JSON.stringify's stack; an id with a lone surrogate.
      [await post(undefined, `{"channel":"ok","data":${'['.repeat(5000)}${']'.repeat(5000)}}`), 400, 'BAD_FIELD'],
      [await post(undefined, '{"channel":"ok","data":1,"id":"c1-\\ud800"}'), 400, 'BAD_FIELD'],
      [await post({ channel: 'ok', data: 'x'.repeat(20_000) }), 413, 'FRAME_TOO_LARGE'],
      [await fetch(`${server.httpUrl}/v1/publish`), 405, 'BAD_FRAME'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code, message: expect.any(String) });
    }
    expect((await fetch(`${server.httpUrl}/v1/publish`)).headers.get('allow')).toBe('POST'); // RFC 9110 §15.5.6
    expect((await fetch(`${server.httpUrl}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${server.httpUrl}/v1`)).status).toBe(426);
    expect((await post({ channel: 'ok', data: 1 })).status).toBe(200); // still serving
  });

  it('POST /v1/publish answers 503 BROKER_UNAVAILABLE with Retry-After when the broker fails', async () => {
    const broker = memoryBroker();
    await start({ broker });
    await broker.close();
    const res = await post({ channel: 'c', data: 1, id: 'i' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ code: 'BROKER_UNAVAILABLE' });
  });
});
