// A demanding user's trial against servers that are not the reference server: a bare `ws`
// server on a loopback port that misbehaves (support/hostileServer.ts). The client's timers
// run on a manual clock; the sockets are real.
import { afterEach, describe, expect, it } from 'vitest';
import { isLifelineError } from '../src';
import { hostile, welcome, welcoming } from './support/hostileServer';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

const reconnect = { jitter: 'none' as const, initialDelayMs: 100, maxDelayMs: 100_000 };

/** Every `closed` with a retry, as [closeCode, retryInMs], after `n` of them. */
async function retries(s: Awaited<ReturnType<typeof hostile>>, n: number) {
  const out: Array<[number | undefined, number | null]> = [];
  for (let i = 0; i < n; i++) {
    await s.until(() => s.client.state === 'closed' && s.states.filter((x) => x.to === 'closed').length > i, `close ${i}`);
    const st = s.states.at(-1)!;
    out.push([st.closeCode, st.retryInMs]);
    s.clock.advance(st.retryInMs!);
  }
  return out;
}

describe('a server that welcomes, then closes at once, every time', () => {
  it('is not a loop at the first delay: the delay grows while such closes come in a row, each said in `closed`', async () => {
    const s = await hostile((ws) => ws.on('message', () => (ws.send(welcome()), ws.close(1011, 'crashed on replay'))), { reconnect });
    stop = s.stop;
    // The welcome resets the attempt counter, so each close was "attempt 1": 100 ms for ever.
    expect(await retries(s, 5)).toEqual([
      [1011, 100],
      [1011, 200],
      [1011, 400],
      [1011, 800],
      [1011, 1600],
    ]);
    expect(s.states.filter((x) => x.to === 'closed').every((x) => x.attempt === 1)).toBe(true);
  });

  it('without a welcome, the attempts themselves grow the backoff (closed with no status, 1005)', async () => {
    const s = await hostile((ws) => ws.close(), { reconnect });
    stop = s.stop;
    expect(await retries(s, 4)).toEqual([
      [1005, 100],
      [1005, 200],
      [1005, 400],
      [1005, 800],
    ]);
  });
});

describe('odd close codes after a welcome', () => {
  for (const [code, reason, retry] of [
    [3000, 'socket-closed', true],
    [4300, 'socket-closed', true],
    [4999, 'socket-closed', true],
    [4050, 'terminal', false], // 4000-4099: stop (PROTOCOL §Close codes)
    [4150, 'auth-failed', false], // 4100-4199 with no token function: cannot refresh
  ] as const) {
    it(`${code}: ${retry ? 'retried with backoff' : 'stops, with a typed error'}`, async () => {
      const s = await hostile((ws) => ws.on('message', () => (ws.send(welcome()), ws.close(code, 'odd'))), { reconnect });
      stop = s.stop;
      await s.until(() => s.client.state === 'closed', 'closed');
      expect(s.states.at(-1)).toMatchObject({ reason, closeCode: code, closeReason: 'odd', retryInMs: retry ? 100 : null });
      if (!retry) expect(s.errors.map((e) => e.code)).toEqual([code === 4150 ? 'AUTH_FAILED' : 'CONNECTION_REFUSED']);
    });
  }
});

describe('a welcome announcing no heartbeat bound (heartbeatMs 2^53 − 1, PROTOCOL §3)', () => {
  it('the client still pings at least every minute and declares a silent socket dead', async () => {
    let pings = 0;
    const s = await hostile((ws) =>
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        if (f.type === 'hello') ws.send(welcome({ heartbeatMs: 2 ** 53 - 1 }));
        if (f.type === 'ping') pings++; // never answered: the peer is gone
      }),
    );
    stop = s.stop;
    await s.until(() => s.client.state === 'open', 'open');
    for (let i = 0; i < 60; i++) s.clock.advance(1000);
    await s.until(() => pings === 1, 'a client ping within 60 s');
    for (let i = 0; i < 60; i++) s.clock.advance(1000);
    expect(s.client.state).toBe('open'); // 120 s: within 2 × 60 s + 1 s
    s.clock.advance(1000);
    // Taken as is, the timeout was 2^54 ms: a half-open connection hung for good.
    expect(s.states.at(-1)).toMatchObject({ to: 'closed', reason: 'heartbeat-timeout' });
  });
});

describe('a second welcome on the same connection', () => {
  it('is a BAD_FRAME, not a new connection: nothing is subscribed again, no reconnect counted', async () => {
    const { subs, send, onConnection } = welcoming((f) => ({ type: 'subscribed', ref: f.ref, channel: f.channel, offset: 0, epoch: 'e1' }));
    const s = await hostile(onConnection);
    stop = s.stop;
    const got: number[] = [];
    s.client.channel('room').subscribe((m) => void got.push(m.offset));
    await s.until(() => s.client.channel('room').getSnapshot().state === 'subscribed', 'subscribed');
    send(welcome({ session: 's_2', heartbeatMs: 1000 }));
    send({ type: 'msg', channel: 'room', offset: 1, epoch: 'e1', data: 1 });
    await s.until(() => got.length === 1, 'msg 1');
    expect(subs).toHaveLength(1);
    expect(s.client.stats().reconnects).toBe(0);
    expect(s.client.getSnapshot().session).toBe('s_1');
    expect(s.errors.map((e) => [e.code, e.message])).toEqual([['BAD_FRAME', 'bad frame from server: welcome']]);
  });
});

describe('a stream that goes backwards, repeats, skips and changes epoch', () => {
  it('delivers each message once in order, re-subscribes for a hole and the new epoch, says the loss once; bad frames are typed errors', async () => {
    const { subs, send, onConnection } = welcoming();
    const s = await hostile(onConnection);
    stop = s.stop;
    const msg = (offset: unknown, epoch = 'e1', channel = 'room') => send({ type: 'msg', channel, offset, epoch, data: offset });
    const got: string[] = [];
    const gaps: any[] = [];
    const ch = s.client.channel('room');
    ch.subscribe((m) => void got.push(`${m.epoch}:${m.offset}`));
    ch.on('gap', (g) => void gaps.push(g));
    await s.until(() => subs.length === 1, 'sub');
    send({ type: 'subscribed', ref: subs[0].ref, channel: 'room', offset: 0, epoch: 'e1' });
    [1, 2, 2, 1, 3, 5].forEach((o) => msg(o)); // a repeat, a step back, a hole (4)
    await s.until(() => subs.length === 2, 'the hole asked for');
    expect(subs[1].since).toEqual({ offset: 3, epoch: 'e1' });
    send({ type: 'subscribed', ref: subs[1].ref, channel: 'room', offset: 5, epoch: 'e1', recovered: true, replay: 2 });
    msg(4), msg(5), msg(6, 'e2'); // a new epoch, without a subscribe reply
    await s.until(() => subs.length === 3, 'the new epoch asked about');
    expect(subs[2].since).toEqual({ offset: 5, epoch: 'e1' });
    send({ type: 'subscribed', ref: subs[2].ref, channel: 'room', offset: 6, epoch: 'e2', recovered: false, reason: 'epoch-changed' });
    // Frames about nothing the client has: ignored (no subscriber can be missing them).
    msg(1, 'e1', 'never-subscribed');
    send({ type: 'subscribed', ref: 999, channel: 'unknown', offset: 0, epoch: 'x' });
    send({ type: 'ack', ref: 12_345, channel: 'room', id: 'zz', offset: 3, epoch: 'e2' });
    send({ type: 'subscribed', ref: subs[2].ref, channel: 'room', offset: 100, epoch: 'e9' }); // answered already
    // Malformed frames: each a BAD_FRAME error, the connection carries on.
    for (const raw of ['not json', '[1,2]', '{}', 'null', '{"type":5}']) send(raw);
    msg('8', 'e2');
    msg(7, 'e2');
    await s.until(() => got.length === 6, 'msg 7');
    expect(got).toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5', 'e2:7']);
    expect(gaps).toEqual([{ channel: 'room', from: { offset: 5, epoch: 'e1' }, to: { offset: 6, epoch: 'e2' }, reason: 'epoch-changed' }]);
    expect(s.errors.map((e) => (isLifelineError(e, 'BAD_FRAME') ? e.message.replace('bad frame from server: ', '') : e))).toEqual([
      'not a JSON object',
      'type undefined',
      'type undefined',
      'not a JSON object',
      'type 5',
      'msg',
    ]);
    expect(s.client.state).toBe('open');
    expect(subs).toHaveLength(3);
  });
});

describe('a server that never answers one publish but keeps pinging', () => {
  it('after outbox.ackTimeoutMs the connection is re-established and the publish re-sent with the same id; acked once', async () => {
    const pubs: any[][] = [];
    const s = await hostile(
      (ws) => {
        const mine: any[] = [];
        pubs.push(mine);
        const conn = pubs.length;
        ws.on('message', (d) => {
          const f = JSON.parse(String(d));
          if (f.type === 'hello') ws.send(welcome({ heartbeatMs: 1000 }));
          if (f.type === 'ping') ws.send(JSON.stringify({ type: 'pong', t: f.t }));
          if (f.type !== 'pub') return;
          mine.push(f);
          // The first connection swallows the publish; the second acks it.
          if (conn > 1) ws.send(JSON.stringify({ type: 'ack', ref: f.ref, channel: f.channel, id: f.id, offset: 1, epoch: 'e1' }));
        });
      },
      { outbox: { ackTimeoutMs: 5000 }, reconnect },
    );
    stop = s.stop;
    await s.until(() => s.client.state === 'open', 'open');
    let result: unknown;
    void s.client.publish('room', 'hello', { id: 'm1' }).then((r) => (result = r));
    await s.until(() => pubs[0]!.length === 1, 'the publish');
    for (let i = 0; i < 5; i++) {
      s.clock.advance(1000); // the client pings, the server answers: alive
      await new Promise((r) => setTimeout(r, 10));
    }
    await s.until(() => s.client.state === 'closed', 'ack timeout');
    expect(s.states.at(-1)).toMatchObject({ reason: 'ack-timeout', closeCode: 4202, retryInMs: 100 });
    s.clock.advance(100);
    await s.until(() => result !== undefined, 'the ack on the next connection');
    expect(result).toEqual({ offset: 1, epoch: 'e1', duplicate: false });
    expect(pubs[1]).toEqual([pubs[0]![0]]); // the same frame: same id, same ref
  });
});
