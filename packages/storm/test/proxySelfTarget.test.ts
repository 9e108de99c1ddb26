import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { isStormError } from '../src/errors';
import { dial, startEcho, waitFor, type EchoServer } from './helpers';

// P3-9: a proxy whose target is its own listen address forwarded to itself (~10,000
// connections in 1.5 s, until EMFILE). It is refused up front.

let echo: EchoServer | undefined;
let proxy: ChaosProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await echo?.close();
  proxy = undefined;
  echo = undefined;
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return null;
}

describe('chaos proxy aimed at itself', () => {
  it('is refused before it listens, also spelt localhost or as a URL', async () => {
    const port = await freePort();
    for (const target of [`127.0.0.1:${port}`, `localhost:${port}`, `ws://127.0.0.1:${port}/v1`]) {
      const e = await refusal(createChaosProxy({ listenPort: port, target }));
      expect(isStormError(e, 'BAD_OPTION'), String(e)).toBe(true);
      expect((e as Error).message).toMatch(/is the proxy itself/);
    }
    // Nothing was left listening there.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
  });

  it('setTarget() to its own address is refused and the old target kept', async () => {
    echo = await startEcho();
    proxy = await createChaosProxy({ target: `127.0.0.1:${echo.port}` });
    expect(() => proxy!.setTarget(proxy!.url)).toThrow(/is the proxy itself/);
    expect(() => proxy!.setTarget([`127.0.0.1:${echo!.port}`, `localhost:${proxy!.port}`])).toThrow(/is the proxy itself/);
    const c = await dial(proxy.port);
    c.socket.write('still');
    await waitFor(() => c.received().toString() === 'still', 5_000, 'echo through the old target');
    expect(proxy.stats().accepted).toBe(1);
    c.socket.destroy();
  });
});
