import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { dial, waitFor } from './helpers';

// A peer's last bytes before its FIN (a 503 + Retry-After, a drain frame before close
// 1012, a 1013 reason) must reach the other side also while they wait out the proxy's
// latency or bandwidth queue. Only content is asserted, so real timers are fine.

let proxy: ChaosProxy | undefined;
let target: Server | undefined;
const upstream = new Set<Socket>();

afterEach(async () => {
  await proxy?.close();
  for (const s of upstream) s.destroy();
  upstream.clear();
  await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
  proxy = undefined;
  target = undefined;
});

/** A loopback target running `onSocket` for each connection; returns its port. */
async function startTarget(onSocket: (s: Socket) => void): Promise<number> {
  target = createServer((s) => {
    upstream.add(s);
    s.on('error', () => {});
    s.on('close', () => upstream.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => target!.listen(0, '127.0.0.1', () => r()));
  return (target.address() as { port: number }).port;
}

const REFUSAL = 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n\r\n';

describe('chaos proxy: a FIN waits for the bytes sent before it', () => {
  for (const [name, shaping] of [
    ['latency', { latencyMs: 50 }],
    ['a bandwidth cap', { bytesPerSec: 20_000 }],
  ] as const) {
    it(`target → client with ${name}: the reply written just before the close arrives whole`, async () => {
      const payload = REFUSAL + 'x'.repeat(4000); // 4 kB: several bandwidth slices
      const port = await startTarget((s) => s.end(payload));
      proxy = await createChaosProxy({ target: `127.0.0.1:${port}`, ...shaping });
      const c = await dial(proxy.port);
      await waitFor(() => c.closed(), 10_000, 'client closed');
      expect(c.received().toString()).toBe(payload);
    });
  }

  it('client → target with latency: the last bytes before the client ends arrive, then the FIN', async () => {
    let got = '';
    let ended = false;
    const port = await startTarget((s) => {
      s.on('data', (d) => (got += d));
      s.on('end', () => (ended = true));
    });
    proxy = await createChaosProxy({ target: `127.0.0.1:${port}`, latencyMs: 50 });
    const c = await dial(proxy.port);
    c.socket.end('close frame');
    await waitFor(() => ended, 10_000, 'FIN at the target');
    expect(got).toBe('close frame');
  });

  it('a reset still takes the other side down at once, queued bytes or not', async () => {
    const port = await startTarget((s) => {
      s.write('late');
      s.resetAndDestroy();
    });
    proxy = await createChaosProxy({ target: `127.0.0.1:${port}`, latencyMs: 5_000 });
    const c = await dial(proxy.port);
    // Well before the 5 s latency would have delivered 'late'.
    await waitFor(() => c.closed(), 3_000, 'client closed by the reset');
    expect(c.received().length).toBe(0);
    await waitFor(() => proxy!.stats().active === 0, 3_000, 'link released');
  });
});
