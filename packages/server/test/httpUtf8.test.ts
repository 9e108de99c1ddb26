// Bytes the server reads as text are decoded strictly: a body or token payload that is
// not valid UTF-8 is refused, never stored or acted on with U+FFFD in place of its bytes
// (a WebSocket text frame that is not UTF-8 is closed 1007, PROTOCOL.md §2).
import { createHmac } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { verifyToken, type LifelineServer } from '../src/index';
import { utf8Text } from '../src/wireValues';
import { useServer } from './helpers/serverFixture';

const SECRET = 'utf8-secret-utf8-secret-utf8-secret';
const { start, open } = useServer();

/** One raw HTTP/1.1 request of `body` bytes, written in `pieces` (split anywhere, mid-character too); resolves with the status and body. */
function rawPost(server: LifelineServer, body: Buffer, headers: string[] = [], pieces = 1): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(server.port, '127.0.0.1');
    let answer = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (answer = Buffer.concat([answer, d])));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = answer.toString('latin1');
      const [head = '', rest = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), body: JSON.parse(Buffer.from(rest, 'latin1').toString('utf8')) });
    });
    const head = ['POST /v1/publish HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close', ...headers];
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    const step = Math.ceil(body.length / pieces);
    for (let i = 0; i < body.length; i += step) socket.write(body.subarray(i, i + step));
  });
}

const history = async (server: LifelineServer, channel: string, token?: string) => {
  const res = await fetch(`${server.httpUrl}/v1/history?channel=${encodeURIComponent(channel)}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return res.json();
};

/** An HS256 token signed over `payload` exactly as given (bytes), which signToken (JSON of JS strings) cannot make. */
function tokenOver(payload: Buffer): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = payload.toString('base64url');
  return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;
}

describe('strict UTF-8 on HTTP and tokens', () => {
  it('utf8Text: valid UTF-8 as text (a BOM kept), anything else undefined', () => {
    expect(utf8Text(Buffer.from('héllo ✓ 😀'))).toBe('héllo ✓ 😀');
    expect(utf8Text(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('\ufeff{}');
    for (const bad of [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80] /* a surrogate */, [0xc0, 0xaf] /* overlong */]) {
      expect(utf8Text(Buffer.from(bad))).toBeUndefined();
    }
  });

  it('POST /v1/publish with a body that is not valid UTF-8: 400 BAD_FRAME, nothing stored; the server goes on serving', async () => {
    const server = await start();
    const bad = Buffer.concat([Buffer.from('{"channel":"orders:x","data":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await rawPost(server, bad);
    expect(res).toEqual({ status: 400, body: { code: 'BAD_FRAME', message: 'body is not valid UTF-8' } });
    // A truncated character at the end, and one inside the id, are refused the same way.
    const cut = Buffer.concat([Buffer.from('{"channel":"orders:x","data":1,"id":"a'), Buffer.from([0xe2, 0x9c]), Buffer.from('"}')]);
    expect((await rawPost(server, cut)).status).toBe(400);
    expect(await history(server, 'orders:x')).toMatchObject({ offset: 0, messages: [] });
    expect((await rawPost(server, Buffer.from('{"channel":"orders:x","data":"ok"}'))).status).toBe(200);
  });

  it('valid multi-byte UTF-8 split across TCP writes mid-character is stored as sent', async () => {
    const server = await start();
    const data = 'héllo ✓ 😀';
    const res = await rawPost(server, Buffer.from(JSON.stringify({ channel: 'orders:x', data, id: 'ü-1' })), [], 7);
    expect(res.status).toBe(200);
    expect((await history(server, 'orders:x')).messages).toMatchObject([{ data, id: 'ü-1' }]);
  });

  it('GET /v1/history with a percent-encoded byte that is not UTF-8 in the channel: 400 BAD_FIELD, not a read of a mangled name', async () => {
    const server = await start();
    const res = await fetch(`${server.httpUrl}/v1/history?channel=orders:x%FF`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'BAD_FIELD' });
  });

  it('a body with a leading BOM is still refused as not JSON (as before)', async () => {
    const server = await start();
    const res = await rawPost(server, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"channel":"a","data":1}')]));
    expect(res).toEqual({ status: 400, body: { code: 'BAD_FRAME', message: 'body is not valid JSON' } });
  });

  it('a validly signed token whose payload is not valid UTF-8 is malformed: verifyToken bad, HTTP 401 BAD_TOKEN, nothing stored', async () => {
    // Two subjects that differ in their bytes only: decoded lossily, both were the user "\ufffd".
    const exp = Math.floor(Date.now() / 1000) + 600;
    const payload = (byte: number) => Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([byte]), Buffer.from(`","exp":${exp}}`)]);
    const [a, b] = [tokenOver(payload(0xff)), tokenOver(payload(0xfe))];
    for (const t of [a, b]) expect(verifyToken(t, SECRET, Date.now())).toEqual({ ok: false, reason: 'bad', message: 'token malformed' });
    const good = tokenOver(Buffer.from(JSON.stringify({ sub: 'ü', exp })));
    expect(verifyToken(good, SECRET, Date.now())).toMatchObject({ ok: true, claims: { sub: 'ü' } });

    const server = await start({ authSecret: SECRET });
    const res = await rawPost(server, Buffer.from('{"channel":"orders:x","data":1}'), [`Authorization: Bearer ${a}`]);
    expect(res).toMatchObject({ status: 401, body: { code: 'BAD_TOKEN', message: 'token malformed' } });
    expect(await history(server, 'orders:x', good)).toMatchObject({ offset: 0, messages: [] });
    // The same check at hello: close 4100, no welcome.
    const c = await open();
    c.send({ type: 'hello', v: 1, token: b });
    expect(await c.waitClosed()).toMatchObject({ code: 4100, reason: 'token malformed' });
    expect(c.frames.find((f) => f.type === 'welcome')).toBeUndefined();
  });
});
