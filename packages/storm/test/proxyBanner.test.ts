import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChaosProxy } from '../src/proxy/chaosProxy';
import { proxySettings } from '../src/cli/proxyCommand';
import { isStormError } from '../src/errors';

let busy: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (busy ? busy.close(() => r()) : r()));
  busy = null;
});

describe('proxy: what the user is told', () => {
  it('a port in use names EADDRINUSE', async () => {
    busy = createServer();
    await new Promise<void>((r) => busy!.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const e = await createChaosProxy({ listenPort: port, target: 'ws://127.0.0.1:1' }).catch((x: unknown) => x);
    expect(isStormError(e, 'RUN_FAILED')).toBe(true);
    expect((e as Error).message).toBe(`proxy cannot listen on 127.0.0.1:${port}: EADDRINUSE (the port is in use)`);
  });

  it('the banner echoes latency, bandwidth and schedule in force', () => {
    expect(proxySettings({ latencyMs: 0, bytesPerSec: null, schedule: [] })).toBe('latency 0 ms each way, bandwidth no cap, schedule: none');
    const schedule = [{ atMs: 2000, action: 'cut' as const }, { atMs: 5000, action: 'latency' as const, value: 150 }, { atMs: 9000, action: 'bandwidth' as const, value: null }];
    expect(proxySettings({ latencyMs: 40, bytesPerSec: 1000, schedule })).toBe(
      'latency 40 ms each way, bandwidth 1000 B/s per connection and direction, schedule: cut at 2000 ms, latency 150 ms at 5000 ms, bandwidth off at 9000 ms',
    );
  });
});
