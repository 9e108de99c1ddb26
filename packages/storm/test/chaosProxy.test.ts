import { afterEach, describe, expect, it } from 'vitest';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { parseSchedule } from '../src/proxy/schedule';
import { isStormError } from '../src/errors';
import { dial, startEcho, waitFor, type EchoServer } from './helpers';

let echo: EchoServer | undefined;
let proxy: ChaosProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await echo?.close();
  proxy = undefined;
  echo = undefined;
});

async function setup(extra: { latencyMs?: number; bytesPerSec?: number } = {}) {
  echo = await startEcho();
  proxy = await createChaosProxy({ listenPort: 0, target: `ws://127.0.0.1:${echo.port}`, ...extra });
  return { echo, proxy };
}

describe('chaos proxy against a real TCP echo on loopback', () => {
  it('forwards bytes both ways', async () => {
    const { proxy } = await setup();
    const c = await dial(proxy.port);
    c.socket.write('hello');
    await waitFor(() => c.received().toString() === 'hello', 10_000, 'echo');
    expect(proxy.stats()).toMatchObject({ accepted: 1, active: 1 });
    c.socket.destroy();
  });

  it('cut resets every connection and later connections still work', async () => {
    const { proxy, echo } = await setup();
    const a = await dial(proxy.port);
    const b = await dial(proxy.port);
    await waitFor(() => echo.sockets.size === 2, 10_000, 'two upstream sockets');
    expect(proxy.cut()).toBe(2);
    await waitFor(() => a.closed() && b.closed(), 10_000, 'clients closed');
    await waitFor(() => echo.sockets.size === 0, 10_000, 'upstream closed');
    const c = await dial(proxy.port);
    c.socket.write('again');
    await waitFor(() => c.received().toString() === 'again', 10_000, 'echo after cut');
    expect(proxy.stats().cut).toBe(2);
    c.socket.destroy();
  });

  it('blackhole stops traffic both ways without closing either side', async () => {
    const { proxy, echo } = await setup();
    const a = await dial(proxy.port);
    a.socket.write('before');
    await waitFor(() => a.received().toString() === 'before', 10_000, 'echo before');
    expect(proxy.blackhole()).toBe(1);
    a.socket.write('during');
    // Server → client direction: the echo's socket writes, nothing arrives.
    for (const s of echo.sockets) s.write('from-server');
    const late = await dial(proxy.port); // accepted, then ignored
    late.socket.write('late');
    await new Promise((r) => setTimeout(r, 300)); // proving absence needs a window
    expect(a.received().toString()).toBe('before');
    expect(late.received().length).toBe(0);
    expect(a.closed()).toBe(false);
    expect(late.closed()).toBe(false);
    expect(echo.sockets.size).toBe(1); // upstream still open: half-open, not closed

    proxy.restore();
    const fresh = await dial(proxy.port);
    fresh.socket.write('fresh');
    await waitFor(() => fresh.received().toString() === 'fresh', 10_000, 'echo after restore');
    expect(a.received().toString()).toBe('before'); // the half-open link stays dead
    for (const c of [a, late, fresh]) c.socket.destroy();
  });

  it('latency delays each direction by the configured amount', async () => {
    const { proxy } = await setup();
    proxy.setLatency(100);
    const c = await dial(proxy.port);
    const t0 = performance.now();
    c.socket.write('ping');
    await waitFor(() => c.received().toString() === 'ping', 10_000, 'delayed echo');
    // 100 ms up + 100 ms down; timers never fire early by more than a millisecond.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    c.socket.destroy();
  });

  it('bandwidth caps bytes per second and loses nothing', async () => {
    const { proxy } = await setup({ bytesPerSec: 16_000 });
    const c = await dial(proxy.port);
    const payload = Buffer.alloc(8_000, 7);
    const t0 = performance.now();
    c.socket.write(payload);
    await waitFor(() => c.received().length === payload.length, 15_000, 'all bytes back');
    // 8 000 bytes at 16 000 B/s take ≥ 0.5 s on the way up alone.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
    expect(c.received().equals(payload)).toBe(true);
    proxy.setBandwidth(null);
    c.socket.destroy();
  });

  it('runs a schedule on its own: latency, then cut', async () => {
    const { proxy } = await setup();
    const c = await dial(proxy.port);
    proxy.schedule(parseSchedule('0:latency=50,150:cut'));
    await waitFor(() => c.closed(), 10_000, 'scheduled cut');
    expect(proxy.stats().cut).toBe(1);
  });

  it('fails over to the next target when one refuses', async () => {
    echo = await startEcho();
    const dead = await startEcho();
    const deadPort = dead.port;
    await dead.close();
    proxy = await createChaosProxy({ target: [`127.0.0.1:${deadPort}`, `127.0.0.1:${echo.port}`] });
    const c = await dial(proxy.port);
    c.socket.write('x');
    await waitFor(() => c.received().toString() === 'x', 10_000, 'echo via second target');
    c.socket.destroy();
  });

  it('closes the client when every target refuses', async () => {
    const dead = await startEcho();
    const deadPort = dead.port;
    await dead.close();
    proxy = await createChaosProxy({ target: `127.0.0.1:${deadPort}` });
    const c = await dial(proxy.port);
    await waitFor(() => c.closed(), 10_000, 'client closed');
    expect(proxy.stats().refused).toBe(1);
  });

  it('refuses non-loopback targets and bad schedules with typed errors', async () => {
    await expect(createChaosProxy({ target: 'ws://10.0.0.1:80' })).rejects.toSatisfy((e) => isStormError(e, 'NON_LOOPBACK'));
    expect(() => parseSchedule('soon:cut')).toThrow(/^schedule step "soon:cut": time wants ms or a duration/);
    expect(() => parseSchedule('soon')).toThrow(/bad schedule step "soon"/);
    expect(parseSchedule('0:blackhole, 2000:restore,10:bandwidth=off')).toEqual([
      { atMs: 0, action: 'blackhole' },
      { atMs: 2000, action: 'restore' },
      { atMs: 10, action: 'bandwidth', value: null },
    ]);
  });

  it('cut() refuses a fraction outside [0, 1] (NaN from "cut abc" on stdin cut nothing and said "cut 0")', async () => {
    const { proxy, echo } = await setup();
    const a = await dial(proxy.port);
    await waitFor(() => echo.sockets.size === 1, 10_000, 'upstream socket');
    for (const bad of [Number.NaN, -0.1, 1.5, Infinity]) {
      expect(() => proxy.cut(bad)).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    }
    expect(proxy.stats()).toMatchObject({ cut: 0, active: 1 });
    expect(proxy.cut(0)).toBe(0);
    expect(proxy.cut(1)).toBe(1);
    await waitFor(() => a.closed(), 10_000, 'client closed');
  });
});
