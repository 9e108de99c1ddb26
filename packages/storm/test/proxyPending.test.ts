import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { dial, startEcho, waitFor, type EchoServer } from './helpers';

// A connection the proxy has accepted but is still connecting upstream is in no link
// yet. To act on it at exactly that moment (and not race the loopback connect), the
// proxy's own connect() is wrapped: `whileConnecting` runs right after the proxy has
// started its upstream connect, before it can complete (armed after the test has
// dialled: the test's own connect() goes through the wrapper too). Sockets stay real.
const hook = vi.hoisted(() => ({ whileConnecting: null as null | (() => void) }));
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  const connect = ((...args: Parameters<typeof net.connect>) => {
    const socket = net.connect(...args);
    const run = hook.whileConnecting;
    hook.whileConnecting = null;
    if (run) queueMicrotask(run); // after forward() has registered the attempt
    return socket;
  }) as typeof net.connect;
  return { ...net, connect, default: { ...net, connect } };
});

let echo: EchoServer | undefined;
let proxy: ChaosProxy | undefined;
const clients: Socket[] = [];

afterEach(async () => {
  hook.whileConnecting = null;
  for (const c of clients.splice(0)) c.destroy();
  await proxy?.close();
  await echo?.close();
  proxy = undefined;
  echo = undefined;
});

async function setup(): Promise<{ echo: EchoServer; proxy: ChaosProxy }> {
  echo = await startEcho();
  proxy = await createChaosProxy({ target: `127.0.0.1:${echo.port}` });
  return { echo, proxy };
}

describe('chaos proxy: connections still connecting upstream', () => {
  it('blackhole() counts them and they never forward, also after restore()', async () => {
    const { echo, proxy } = await setup();
    let blackholed = -1;
    const dialing = dial(proxy.port); // armed after the test's own connect()
    hook.whileConnecting = () => (blackholed = proxy.blackhole());
    const c = await dialing;
    clients.push(c.socket);
    await waitFor(() => blackholed >= 0, 5_000, 'blackhole during the upstream connect');
    expect(blackholed).toBe(1);
    expect(proxy.stats().active).toBe(1);
    proxy.restore(); // heals new connections only
    c.socket.write('after-blackhole');
    await new Promise((r) => setTimeout(r, 300)); // proving absence needs a window
    expect(c.received().length).toBe(0);
    expect(c.closed()).toBe(false); // half-open: held, not closed
    await waitFor(() => echo.sockets.size === 0, 5_000, 'the abandoned upstream socket closed');
  });

  it('cut() resets them and counts them', async () => {
    const { echo, proxy } = await setup();
    // Not dial(): the reset may reach this socket before its own 'connect' event.
    const c = connect({ host: '127.0.0.1', port: proxy.port });
    clients.push(c);
    let closed = false;
    c.on('error', () => {});
    c.on('close', () => (closed = true));
    let cut = -1;
    hook.whileConnecting = () => (cut = proxy.cut());
    await waitFor(() => closed, 5_000, 'client closed by the cut');
    expect(cut).toBe(1);
    expect(proxy.stats()).toMatchObject({ cut: 1, active: 0 });
    await waitFor(() => echo.sockets.size === 0, 5_000, 'the abandoned upstream socket closed');
  });
});
