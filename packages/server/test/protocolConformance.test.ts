/**
 * PROTOCOL.md, statement by statement, against a real server on 127.0.0.1 driven with
 * raw `ws` frames: what a third-party client or server implements from the text alone.
 * Only statements no other test pins down are here (handshake, badInput, replay,
 * pubsub, presence, http, auth… cover the rest). Each `it` names its section.
 * No sleeps: every wait is on a frame or a socket event, with a deadline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, memoryBroker, signToken, type LifelineServer } from '../src/index';
import { FakeClock } from './helpers/fakeClock';

type Frame = Record<string, any> & { type: string };

const DEADLINE_MS = 3000;

/** A raw /v1 or /echo peer whose waits are woken by socket events, not polling. */
class Peer {
  readonly frames: Frame[] = [];
  readonly raw: { data: Buffer; binary: boolean }[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly wakers = new Set<() => void>();

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary) => {
      this.raw.push({ data, binary });
      if (!binary) {
        try {
          this.frames.push(JSON.parse(data.toString('utf8')));
        } catch {
          this.frames.push({ type: '<unparsable>' });
        }
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Resolves with the first truthy `pick()`, re-checked on every frame and on close. */
  until<T>(pick: () => T | undefined | false | null, what: string, timeoutMs = DEADLINE_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = pick();
        if (v === undefined || v === false || v === null) return;
        done();
        resolve(v);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 400)}; closed: ${JSON.stringify(this.closed)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(check);
      };
      this.wakers.add(check);
      check();
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame at or after index `from` matching `pred`. */
  next(pred: (f: Frame) => boolean, from = 0, what = 'a frame'): Promise<Frame> {
    return this.until(() => this.frames.slice(from).find(pred), what);
  }

  /** Sends `frame` and waits for the frame repeating its ref. */
  async request(frame: Record<string, unknown> & { ref: number }): Promise<Frame> {
    const from = this.frames.length;
    this.send(frame);
    return this.next((f) => f.ref === frame.ref, from, `the reply to ${String(frame.type)} ref ${frame.ref}`);
  }

  waitClosed(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, 'the close');
  }

  kill(): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

let server: LifelineServer | undefined;
const peers: Peer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.kill();
  await server?.close();
  server = undefined;
});

async function open(path = '/v1'): Promise<Peer> {
  const ws = new WebSocket(`${server!.url}${path}`);
  const peer = new Peer(ws);
  peers.push(peer);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return peer;
}

/** Opens /v1 and completes the handshake; returns the peer and its welcome. */
async function connect(hello: Record<string, unknown> = {}): Promise<{ peer: Peer; welcome: Frame }> {
  const peer = await open();
  peer.send({ type: 'hello', v: 1, ...hello });
  const welcome = await peer.next((f) => f.type === 'welcome', 0, 'welcome');
  return { peer, welcome };
}

let refSeq = 100;
const ref = (): number => ++refSeq;

describe('PROTOCOL.md conformance (raw frames)', () => {
  it('§1 Endpoints: an upgrade to any other path is refused with HTTP 404, never accepted', async () => {
    server = await createServer();
    for (const path of ['/v2', '/v1/', '/']) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${server!.url}${path}`);
        ws.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.once('open', () => reject(new Error(`${path} was upgraded`)));
        ws.once('error', () => undefined);
      });
      expect(status, path).toBe(404);
    }
  });

  it('§2 Framing: every reply repeats its request\'s ref, 0 and 2^53-1 included', async () => {
    server = await createServer();
    const { peer } = await connect();
    const max = Number.MAX_SAFE_INTEGER;
    expect(await peer.request({ type: 'sub', ref: 0, channel: 'r' })).toMatchObject({ type: 'subscribed', ref: 0 });
    expect(await peer.request({ type: 'pub', ref: max, channel: 'r', data: 1, id: 'r1' })).toMatchObject({ type: 'ack', ref: max });
    expect(await peer.request({ type: 'presence.enter', ref: 7, channel: 'r' })).toMatchObject({ type: 'presence.ok', ref: 7 });
    expect(await peer.request({ type: 'presence.leave', ref: 8, channel: 'r' })).toMatchObject({ type: 'presence.ok', ref: 8 });
    expect(await peer.request({ type: 'unsub', ref: 9, channel: 'r' })).toMatchObject({ type: 'unsubscribed', ref: 9 });
    expect(await peer.request({ type: 'teleport', ref: 10 })).toMatchObject({ type: 'error', code: 'UNKNOWN_TYPE', ref: 10 });
  });

  it('§2 Framing: a ref that is not a non-negative safe integer is BAD_FIELD; the connection is kept', async () => {
    server = await createServer();
    const { peer } = await connect();
    for (const bad of [-1, 1.5, '3', 2 ** 53, null]) {
      const from = peer.frames.length;
      peer.send({ type: 'sub', ref: bad, channel: 'r' });
      expect(await peer.next((f) => f.type === 'error', from), String(bad)).toMatchObject({ code: 'BAD_FIELD' });
    }
    expect(await peer.request({ type: 'sub', ref: ref(), channel: 'r' })).toMatchObject({ type: 'subscribed' });
    expect(peer.closed).toBeUndefined();
  });

  it('§2 Framing / key words: unknown fields are ignored on every client frame', async () => {
    server = await createServer();
    const { peer } = await connect({ future: { x: 1 }, capabilities: ['zstd'] });
    const extra = { v2Field: true, hint: 'ignored' };
    expect(await peer.request({ type: 'sub', ref: ref(), channel: 'u', ...extra })).toMatchObject({ type: 'subscribed' });
    expect(await peer.request({ type: 'pub', ref: ref(), channel: 'u', data: 1, id: 'u1', ttlMs: 5, ...extra })).toMatchObject({ type: 'ack' });
    expect(await peer.request({ type: 'presence.enter', ref: ref(), channel: 'u', ...extra })).toMatchObject({ type: 'presence.ok' });
    const from = peer.frames.length;
    peer.send({ type: 'ping', t: 5, ...extra });
    expect(await peer.next((f) => f.type === 'pong', from)).toEqual({ type: 'pong', t: 5 });
    expect(peer.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('§2 Framing: data is any JSON value and comes back as sent', async () => {
    server = await createServer();
    const { peer } = await connect();
    await peer.request({ type: 'sub', ref: ref(), channel: 'd' });
    const values: unknown[] = [null, false, 0, -1.5, '', 'é😀', [], {}, [1, 'two', { three: [null] }], { nested: { deep: { x: 'y' } } }];
    for (const [i, data] of values.entries()) {
      expect(await peer.request({ type: 'pub', ref: ref(), channel: 'd', data, id: `d${i}` })).toMatchObject({ type: 'ack' });
    }
    await peer.until(() => peer.frames.filter((f) => f.type === 'msg').length === values.length, 'every msg');
    expect(peer.frames.filter((f) => f.type === 'msg').map((m) => m.data)).toEqual(values);
  });

  it('§2 Framing / §17: a text frame that is not UTF-8 closes with 1007', async () => {
    server = await createServer();
    const { peer } = await connect();
    // A lone continuation byte: ws refuses it before the server sees a frame.
    peer.ws.send(Buffer.from([0x7b, 0x80, 0x7d]), { binary: false });
    expect((await peer.waitClosed()).code).toBe(1007);
  });

  it('§2 Framing: null is not an absent optional field: BAD_FIELD (in a hello, then close 4203)', async () => {
    server = await createServer();
    const { peer } = await connect();
    for (const frame of [{ type: 'sub', ref: 1, channel: 'n', since: null }, { type: 'ping', t: null }]) {
      const from = peer.frames.length;
      peer.send(frame);
      expect(await peer.next((f) => f.type === 'error', from), JSON.stringify(frame)).toMatchObject({ code: 'BAD_FIELD' });
    }
    // presence info and publish data are values: null is fine there.
    expect(await peer.request({ type: 'presence.enter', ref: ref(), channel: 'n', info: null })).toMatchObject({ type: 'presence.ok' });
    for (const field of ['token', 'clientId', 'agent']) {
      const p = await open();
      p.send({ type: 'hello', v: 1, [field]: null });
      expect((await p.waitClosed()).code, field).toBe(4203);
      expect(p.frames[0], field).toMatchObject({ type: 'error', code: 'BAD_FIELD' });
    }
  });

  it('§3 Handshake: welcome carries every field with its type; limits are the configured ones', async () => {
    server = await createServer({ heartbeatMs: 4321, maxFrameBytes: 5000, maxChannels: 3, publishPerSec: 7, publishBurst: 9 });
    const before = Date.now();
    const { welcome } = await connect(); // no token: an open server needs none
    const after = Date.now();
    expect(welcome).toEqual({
      type: 'welcome',
      v: 1,
      session: expect.any(String),
      heartbeatMs: 4321,
      limits: { maxFrameBytes: 5000, maxChannels: 3, publishPerSec: 7, publishBurst: 9 },
      serverTime: expect.any(Number),
    });
    expect(welcome.serverTime).toBeGreaterThanOrEqual(before);
    expect(welcome.serverTime).toBeLessThanOrEqual(after);
    const other = await connect();
    expect(other.welcome.session).not.toBe(welcome.session);
  });

  it('§3 Handshake / §17: a hello with a malformed field gets BAD_FIELD, then close 4203', async () => {
    server = await createServer();
    const hellos = [
      { type: 'hello', v: '1' },
      { type: 'hello' },
      { type: 'hello', v: 1, token: 42 },
      { type: 'hello', v: 1, clientId: '' },
      { type: 'hello', v: 1, clientId: 'x'.repeat(129) },
      { type: 'hello', v: 1, agent: { name: 'x' } },
    ];
    for (const hello of hellos) {
      const peer = await open();
      peer.send(hello);
      expect((await peer.waitClosed()).code, JSON.stringify(hello)).toBe(4203);
      expect(peer.frames, JSON.stringify(hello)).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_FIELD', message: expect.any(String) })]);
    }
    // The bounds are inclusive: a 128-character clientId is welcomed.
    const { welcome } = await connect({ clientId: 'c'.repeat(128) });
    expect(welcome.type).toBe('welcome');
  });

  it('§4 Channels: every character of the name pattern and 200 characters are accepted', async () => {
    server = await createServer();
    const { peer } = await connect();
    const names = ['AZaz09_-:.@/=+', 'n'.repeat(200), 'room:1/sub@x=y+z', '-', '.'];
    for (const channel of names) {
      expect(await peer.request({ type: 'sub', ref: ref(), channel }), channel).toMatchObject({ type: 'subscribed', channel });
      expect(await peer.request({ type: 'pub', ref: ref(), channel, data: 1, id: 'n1' }), channel).toMatchObject({ type: 'ack', channel });
    }
    for (const channel of ['', 'sp ace', 'ü', 'a#b', 'a\nb']) {
      expect(await peer.request({ type: 'sub', ref: ref(), channel }), JSON.stringify(channel)).toMatchObject({ type: 'error', code: 'BAD_FIELD' });
    }
  });

  it('§4 Logs: an empty log has head 0; offsets run 1, 2, 3… under one epoch with no holes', async () => {
    server = await createServer();
    const { peer } = await connect();
    const sub = await peer.request({ type: 'sub', ref: ref(), channel: 'log' });
    expect(sub).toMatchObject({ offset: 0, epoch: expect.any(String) });
    const acks: Frame[] = [];
    for (let i = 0; i < 5; i++) acks.push(await peer.request({ type: 'pub', ref: ref(), channel: 'log', data: i, id: `l${i}` }));
    expect(acks.map((a) => a.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(acks.map((a) => a.epoch))).toEqual(new Set([sub.epoch]));
    // HTTP publishes share the same sequence.
    const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'log', data: 'h' }) });
    expect(await res.json()).toEqual({ offset: 6, epoch: sub.epoch });
  });

  it('§5 Subscribe: without since, recovered and replay are omitted and presence is a list', async () => {
    server = await createServer();
    const { peer } = await connect();
    await peer.request({ type: 'pub', ref: ref(), channel: 's', data: 1, id: 's1' });
    const sub = await peer.request({ type: 'sub', ref: ref(), channel: 's' });
    expect(sub).toEqual({ type: 'subscribed', ref: sub.ref, channel: 's', epoch: expect.any(String), offset: 1, presence: [] });
    // Live after the head: the retained message is not sent.
    const from = peer.frames.length;
    await peer.request({ type: 'pub', ref: ref(), channel: 's', data: 2, id: 's2' });
    expect(await peer.next((f) => f.type === 'msg', from)).toMatchObject({ offset: 2 });
    expect(peer.frames.filter((f) => f.type === 'msg').map((m) => m.offset)).toEqual([2]);
  });

  it('§5 Replay: since at the head is recovered with replay 0, then live from head + 1', async () => {
    server = await createServer();
    const { peer: pub } = await connect();
    const a1 = await pub.request({ type: 'pub', ref: ref(), channel: 'h', data: 1, id: 'h1' });
    await pub.request({ type: 'pub', ref: ref(), channel: 'h', data: 2, id: 'h2' });
    const { peer } = await connect();
    const sub = await peer.request({ type: 'sub', ref: ref(), channel: 'h', since: { offset: 2, epoch: a1.epoch } });
    expect(sub).toMatchObject({ recovered: true, replay: 0, offset: 2, epoch: a1.epoch });
    expect(sub.reason).toBeUndefined();
    await pub.request({ type: 'pub', ref: ref(), channel: 'h', data: 3, id: 'h3' });
    await peer.next((f) => f.type === 'msg');
    expect(peer.frames.filter((f) => f.type === 'msg').map((m) => m.offset)).toEqual([3]);
  });

  it('§5 Replay: recovered false carries reason and the retained tail\'s count, and the tail follows; none on an empty log', async () => {
    server = await createServer();
    const { peer } = await connect();
    const ack = await peer.request({ type: 'pub', ref: ref(), channel: 'g', data: 1, id: 'g1' });
    await peer.request({ type: 'pub', ref: ref(), channel: 'g', data: 2, id: 'g2' });
    const sub = await peer.request({ type: 'sub', ref: ref(), channel: 'g', since: { offset: 0, epoch: 'e_not_this_one' } });
    expect(sub).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 2, epoch: ack.epoch, replay: 2 });
    await peer.next((f) => f.type === 'msg' && f.offset === 2);
    expect(peer.frames.filter((f) => f.type === 'msg').map((f) => [f.offset, f.data])).toEqual([[1, 1], [2, 2]]);
    // Nothing retained: no `replay`, live after `offset`.
    const empty = await peer.request({ type: 'sub', ref: ref(), channel: 'g0', since: { offset: 3, epoch: 'e_not_this_one' } });
    expect(empty).toMatchObject({ recovered: false, reason: 'epoch-changed', offset: 0 });
    expect('replay' in empty).toBe(false);
  });

  it('§5 msg frames: channel, offset, epoch, data, id and ts; a backend publish without id has no id', async () => {
    server = await createServer();
    const { peer } = await connect();
    await peer.request({ type: 'sub', ref: ref(), channel: 'm' });
    const before = Date.now();
    const ack = await peer.request({ type: 'pub', ref: ref(), channel: 'm', data: { a: 1 }, id: 'm-1' });
    const msg = await peer.next((f) => f.type === 'msg');
    expect(msg).toEqual({ type: 'msg', channel: 'm', offset: ack.offset, epoch: ack.epoch, data: { a: 1 }, id: 'm-1', ts: expect.any(Number) });
    expect(msg.ts).toBeGreaterThanOrEqual(before);
    expect(msg.ts).toBeLessThanOrEqual(Date.now());
    await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', body: JSON.stringify({ channel: 'm', data: 'backend' }) });
    const noId = await peer.next((f) => f.type === 'msg' && f.offset === 2);
    expect(noId).toEqual({ type: 'msg', channel: 'm', offset: 2, epoch: ack.epoch, data: 'backend', ts: expect.any(Number) });
  });

  it('§6 Publish: the ack names ref, channel, id, offset and epoch; duplicate only on a re-send; no subscription needed', async () => {
    server = await createServer();
    const { peer } = await connect();
    const id = 'i'.repeat(128); // the longest id allowed
    const r = ref();
    const ack = await peer.request({ type: 'pub', ref: r, channel: 'p', data: 'x', id });
    expect(ack).toEqual({ type: 'ack', ref: r, channel: 'p', id, offset: 1, epoch: expect.any(String) });
    const again = await peer.request({ type: 'pub', ref: ref(), channel: 'p', data: 'different data', id });
    expect(again).toMatchObject({ offset: 1, epoch: ack.epoch, duplicate: true });
    // Unique per channel: the same id on another channel is a new message.
    expect(await peer.request({ type: 'pub', ref: ref(), channel: 'p2', data: 'x', id })).toMatchObject({ offset: 1 });
    expect(peer.frames.some((f) => f.type === 'msg')).toBe(false); // not subscribed: acks only
  });

  it('§6 Publish: a pub frame above maxFrameBytes closes with 1009 (FRAME_TOO_LARGE is HTTP only)', async () => {
    server = await createServer({ maxFrameBytes: 1024 });
    const { peer } = await connect();
    const head = JSON.stringify({ type: 'pub', ref: 1, channel: 'big', id: 'b1', data: '' });
    const exact = head.replace('"data":""', `"data":"${'x'.repeat(1024 - head.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(1024);
    expect(await peer.request({ ...JSON.parse(exact), ref: 1 })).toMatchObject({ type: 'ack' }); // at the limit: accepted
    peer.send(exact.replace('"data":"', '"data":"y'));
    expect((await peer.waitClosed()).code).toBe(1009);
    expect(peer.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('§7 Heartbeat: the server pings with a numeric t; a pong is taken silently; a ping is answered with or without t', async () => {
    server = await createServer({ heartbeatMs: 100 });
    const { peer } = await connect();
    const ping = await peer.next((f) => f.type === 'ping', 0, 'a server ping');
    expect(ping).toEqual({ type: 'ping', t: expect.any(Number) });
    peer.send({ type: 'pong', t: ping.t });
    let from = peer.frames.length;
    peer.send({ type: 'ping' });
    expect(await peer.next((f) => f.type === 'pong', from)).toEqual({ type: 'pong' });
    from = peer.frames.length;
    peer.send({ type: 'ping', t: 1.5 });
    expect(await peer.next((f) => f.type === 'pong', from)).toEqual({ type: 'pong', t: 1.5 });
    expect(peer.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('§8 Presence: presence.leave is answered presence.ok, and subscribers get leave with the member', async () => {
    server = await createServer();
    const { peer: watcher } = await connect();
    await watcher.request({ type: 'sub', ref: ref(), channel: 'pr' });
    const { peer } = await connect({ clientId: 'ada' });
    await peer.request({ type: 'presence.enter', ref: ref(), channel: 'pr', info: { n: 1 } });
    await watcher.next((f) => f.type === 'presence' && f.event === 'join');
    const r = ref();
    expect(await peer.request({ type: 'presence.leave', ref: r, channel: 'pr' })).toEqual({ type: 'presence.ok', ref: r, channel: 'pr' });
    expect(await watcher.next((f) => f.type === 'presence' && f.event === 'leave')).toEqual({
      type: 'presence',
      channel: 'pr',
      event: 'leave',
      member: { clientId: 'ada', info: { n: 1 } },
    });
    // Leaving a channel never entered is answered too.
    expect(await peer.request({ type: 'presence.leave', ref: ref(), channel: 'never' })).toMatchObject({ type: 'presence.ok' });
  });

  it('§10 Authentication: a token signed with another secret, or with alg none, closes with 4100 and no welcome', async () => {
    server = await createServer({ authSecret: 'right' });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const tokens = [signToken({ exp }, 'wrong'), `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ exp })}.`, 'a.b', ''];
    for (const token of tokens) {
      const peer = await open();
      peer.send({ type: 'hello', v: 1, token });
      expect((await peer.waitClosed()).code, token).toBe(4100);
      expect(peer.frames.some((f) => f.type === 'welcome')).toBe(false);
    }
  });

  it('§10 Authentication: a token expiring beyond the longest timer (~24.8 days) still closes with 4101 when it expires (fake clock)', async () => {
    const clock = new FakeClock(Date.now());
    server = await createServer({ authSecret: 's', clock, heartbeatMs: 2 ** 31 });
    const days40 = 40 * 24 * 3600 * 1000;
    const { peer } = await connect({ token: signToken({ exp: Math.floor((clock.now() + days40) / 1000) }, 's') });
    clock.advance(days40 - 1000);
    peer.send({ type: 'ping', t: 1 });
    await peer.next((f) => f.type === 'pong');
    expect(peer.closed).toBeUndefined();
    clock.advance(1000);
    expect((await peer.waitClosed()).code).toBe(4101);
  });

  it('§14 Error frames: BROKER_UNAVAILABLE on sub and presence.enter carries ref, channel and retryAfterMs', async () => {
    const broker = memoryBroker();
    server = await createServer({ broker });
    const { peer } = await connect();
    await broker.close();
    for (const type of ['sub', 'presence.enter', 'pub']) {
      const r = ref();
      const err = await peer.request({ type, ref: r, channel: 'down', data: 1, id: `down-${r}` });
      expect(err, type).toEqual({ type: 'error', code: 'BROKER_UNAVAILABLE', message: expect.any(String), ref: r, channel: 'down', retryAfterMs: expect.any(Number) });
      expect(err.retryAfterMs).toBeGreaterThan(0);
    }
    expect(peer.closed).toBeUndefined();
  });

  it('§14 Error frames: the reserved codes are never sent (unsub and pub without a subscription are answered normally)', async () => {
    server = await createServer();
    const { peer } = await connect();
    expect(await peer.request({ type: 'unsub', ref: ref(), channel: 'z' })).toMatchObject({ type: 'unsubscribed' });
    expect(await peer.request({ type: 'pub', ref: ref(), channel: 'z', data: 1, id: 'z1' })).toMatchObject({ type: 'ack' });
    expect(await peer.request({ type: 'presence.leave', ref: ref(), channel: 'z' })).toMatchObject({ type: 'presence.ok' });
    expect(peer.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('§17 Abuse threshold: BAD_FRAME, UNKNOWN_TYPE and BAD_FIELD together count to 100 → close 4201', async () => {
    server = await createServer();
    const { peer } = await connect();
    const kinds = ['nope', { type: 'warp' }, { type: 'sub', ref: 1, channel: 'bad name' }];
    for (let i = 0; i < 99; i++) peer.send(kinds[i % 3]);
    await peer.until(() => peer.frames.filter((f) => f.type === 'error').length === 99, '99 errors');
    expect(peer.closed).toBeUndefined();
    const codes = new Set(peer.frames.filter((f) => f.type === 'error').map((f) => f.code));
    expect(codes).toEqual(new Set(['BAD_FRAME', 'UNKNOWN_TYPE', 'BAD_FIELD']));
    peer.send({ type: 'warp' });
    expect((await peer.waitClosed()).code).toBe(4201);
  });

  it('§17 HTTP: /healthz answers exactly ok, broker, draining, connections; plain GET /echo is 426', async () => {
    server = await createServer();
    await connect();
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, broker: true, draining: false, connections: 1 });
    const echo = await fetch(`${server.httpUrl}/echo`);
    expect(echo.status).toBe(426);
    expect(await echo.json()).toEqual({ code: expect.any(String), message: expect.any(String) });
    const missing = await fetch(`${server.httpUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: expect.any(String), message: expect.any(String) });
  });

  it('§17 /echo: no handshake, frames up to maxFrameBytes are echoed, a larger one closes with 1009', async () => {
    server = await createServer({ maxFrameBytes: 1000 });
    const peer = await open('/echo');
    peer.ws.send('x'.repeat(1000));
    await peer.until(() => peer.raw.length === 1, 'the echo');
    expect(peer.raw[0]).toEqual({ data: Buffer.from('x'.repeat(1000)), binary: false });
    peer.ws.send(Buffer.alloc(1001));
    expect((await peer.waitClosed()).code).toBe(1009);
  });
});
