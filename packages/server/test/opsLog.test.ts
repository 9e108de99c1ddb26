// Operator log lines for crowds (operator trial, F1): a node with the wrong secret refused
// every client without a server-side trace, while 1,000 stalled clients wrote 1,000
// "heartbeat timeout" lines in a second. Refusals are now counted by cause and said in one
// line per 10 s (counts only, never a token); heartbeat terminations likewise past the
// first few. All on the fake clock.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signToken, type Logger } from '../src/index';
import { HEARTBEAT_LINES_PER_INTERVAL, OPS_LOG_INTERVAL_MS, OpsLog } from '../src/opsLog';
import { FakeClock } from './helpers/fakeClock';
import { useServer } from './helpers/serverFixture';
import { waitFor } from './helpers/waitFor';
import { TestClient } from './helpers/wsClient';

const { start, connect, track } = useServer();

interface Line {
  level: 'info' | 'warn';
  msg: string;
  meta?: Record<string, unknown>;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const noop = (): void => undefined;
  return {
    lines,
    logger: {
      debug: noop,
      error: noop,
      info: (msg, meta) => void lines.push({ level: 'info', msg, meta }),
      warn: (msg, meta) => void lines.push({ level: 'warn', msg, meta }),
    },
  };
}

describe('OpsLog (unit, fake clock)', () => {
  it('says the refusals of an interval in one line when it ends, sorted by count, and nothing while there are none', () => {
    const clock = new FakeClock();
    const { logger, lines } = capture();
    const ops = new OpsLog(logger, clock);
    clock.advance(OPS_LOG_INTERVAL_MS * 3);
    expect(lines).toEqual([]);
    for (let i = 0; i < 812; i++) ops.refusal('bad-token');
    for (let i = 0; i < 3; i++) ops.refusal('origin');
    ops.refusal('admission');
    clock.advance(OPS_LOG_INTERVAL_MS - 1);
    expect(lines).toEqual([]);
    clock.advance(1);
    expect(lines).toEqual([
      { level: 'warn', msg: 'refused in the last 10 s: 812 bad-token, 3 origin, 1 admission', meta: { refused: { 'bad-token': 812, origin: 3, admission: 1 } } },
    ]);
    clock.advance(OPS_LOG_INTERVAL_MS * 5);
    expect(lines).toHaveLength(1); // nothing counted since: nothing said
    ops.refusal('admission');
    clock.advance(OPS_LOG_INTERVAL_MS);
    // load shedding alone is information, not a warning
    expect(lines[1]).toEqual({ level: 'info', msg: 'refused in the last 10 s: 1 admission', meta: { refused: { admission: 1 } } });
  });

  it('logs the first heartbeat terminations of an interval by session id and counts the rest', () => {
    const clock = new FakeClock();
    const { logger, lines } = capture();
    const ops = new OpsLog(logger, clock);
    for (let i = 0; i < 1000; i++) ops.heartbeatTimeout(`s_${i}`);
    expect(lines).toHaveLength(HEARTBEAT_LINES_PER_INTERVAL);
    expect(lines[0]).toEqual({ level: 'info', msg: 'heartbeat timeout: terminating', meta: { session: 's_0' } });
    clock.advance(OPS_LOG_INTERVAL_MS);
    expect(lines).toHaveLength(HEARTBEAT_LINES_PER_INTERVAL + 1);
    expect(lines.at(-1)!.msg).toBe(`heartbeat timeout: terminated ${1000 - HEARTBEAT_LINES_PER_INTERVAL} more session(s) in the last 10 s (the first ${HEARTBEAT_LINES_PER_INTERVAL} by id above)`);
    // a new interval: a single one is logged by id again, and no summary follows
    ops.heartbeatTimeout('s_lone');
    clock.advance(OPS_LOG_INTERVAL_MS);
    expect(lines.at(-1)).toEqual({ level: 'info', msg: 'heartbeat timeout: terminating', meta: { session: 's_lone' } });
  });

  it('stop() says what is left, clears its timer and counts nothing more', () => {
    const clock = new FakeClock();
    const { logger, lines } = capture();
    const ops = new OpsLog(logger, clock);
    ops.refusal('http-bad-token');
    ops.stop();
    expect(lines.map((l) => l.msg)).toEqual(['refused in the last 10 s: 1 http-bad-token']);
    ops.refusal('bad-token');
    ops.heartbeatTimeout('s_1');
    clock.advance(OPS_LOG_INTERVAL_MS * 2);
    expect(lines).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});

describe('a server counts its refusals (fake clock)', () => {
  it('bad and expired tokens (4100/4101), a refused origin, HTTP 401 and 429: one line per interval, no token in it', async () => {
    const clock = new FakeClock(Date.now());
    const { logger, lines } = capture();
    const secret = 'right-secret';
    const server = await start({ clock, logger, authSecret: secret, allowedOrigins: ['https://ok.example'], httpPublishPerSec: 1, httpPublishBurst: 1 });
    const wrong = signToken({ sub: 'u' }, 'wrong-secret');
    const expired = signToken({ sub: 'u', exp: Math.floor(clock.now() / 1000) - 10 }, secret);
    for (let i = 0; i < 3; i++) {
      const c = track(await TestClient.open(`${server.url}/v1`));
      c.send({ type: 'hello', v: 1, token: wrong });
      expect((await c.waitClosed()).code).toBe(4100);
    }
    const e = track(await TestClient.open(`${server.url}/v1`));
    e.send({ type: 'hello', v: 1, token: expired });
    expect((await e.waitClosed()).code).toBe(4101);
    const o = new WebSocket(`${server.url}/v1`, { origin: 'https://evil.example' });
    const oCode = await new Promise<number>((r) => o.once('close', (code) => r(code)));
    expect(oCode).toBe(4001);
    const publish = (token: string) =>
      fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"channel":"a","data":1}' });
    expect((await publish(wrong)).status).toBe(401);
    const good = signToken({ sub: 'backend' }, secret);
    expect((await publish(good)).status).toBe(200);
    expect((await publish(good)).status).toBe(429);
    expect(lines.filter((l) => l.msg.startsWith('refused'))).toEqual([]);
    clock.advance(OPS_LOG_INTERVAL_MS);
    const said = lines.filter((l) => l.msg.startsWith('refused'));
    expect(said).toHaveLength(1);
    expect(said[0]!.level).toBe('warn');
    expect(said[0]!.meta).toEqual({ refused: { 'bad-token': 3, 'expired-token': 1, origin: 1, 'http-bad-token': 1, 'http-rate-limited': 1 } });
    expect(said[0]!.msg).toBe('refused in the last 10 s: 3 bad-token, 1 expired-token, 1 origin, 1 http-bad-token, 1 http-rate-limited');
    expect(JSON.stringify(lines)).not.toContain(wrong.split('.')[2]);
  });

  it('admission 503s and publish RATE_LIMITED frames are counted (info)', async () => {
    const clock = new FakeClock(Date.now());
    const { logger, lines } = capture();
    const server = await start({ clock, logger, maxHandshakesPerSec: 1, publishPerSec: 1, publishBurst: 1 });
    const c = await connect();
    await expect(TestClient.open(`${server.url}/v1`)).rejects.toThrow(/503/);
    await c.request({ type: 'pub', channel: 'a', data: 1, id: 'p1' });
    const refused = await c.request({ type: 'pub', channel: 'a', data: 2, id: 'p2' });
    expect(refused).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    clock.advance(OPS_LOG_INTERVAL_MS);
    const said = lines.filter((l) => l.msg.startsWith('refused'));
    expect(said).toEqual([{ level: 'info', msg: 'refused in the last 10 s: 1 admission, 1 rate-limited', meta: { refused: { admission: 1, 'rate-limited': 1 } } }]);
  });

  it('8 silent sessions: 5 heartbeat lines by id, then one count of the other 3', async () => {
    const clock = new FakeClock();
    const { logger, lines } = capture();
    const server = await start({ clock, logger, heartbeatMs: 1000 });
    const all = await Promise.all(Array.from({ length: 8 }, () => connect()));
    clock.advance(2950); // every slot visited once the sessions are silent for two intervals (slot 0 at 2000, slot 7 at 2700)
    await Promise.all(all.map((c) => c.waitClosed()));
    await waitFor(() => server.stats().connections === 0, 'all terminated');
    const byId = lines.filter((l) => l.msg === 'heartbeat timeout: terminating');
    expect(byId).toHaveLength(HEARTBEAT_LINES_PER_INTERVAL);
    clock.advance(OPS_LOG_INTERVAL_MS);
    expect(lines.filter((l) => l.msg.startsWith('heartbeat timeout: terminated'))).toEqual([
      { level: 'info', msg: 'heartbeat timeout: terminated 3 more session(s) in the last 10 s (the first 5 by id above)', meta: { terminated: 8 } },
    ]);
  });
});
