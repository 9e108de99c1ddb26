// A trial ran `blip --channels 100`: the run printed "MaxListenersExceededWarning: Possible
// EventTarget memory leak detected. 11 abort listeners added to [AbortSignal]" twice,
// because every channel's publish loop waits on the publisher's two shared signals.
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Publisher } from '../src/sim/publisher';
import { waitFor } from './helpers';

const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe('a publisher with more than 10 channels', () => {
  it('waits and publishes on 20 channels at once without a MaxListenersExceededWarning', async () => {
    // Accepts and never answers: every channel's publish stays in flight (a cutoff listener each).
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    process.on('warning', onWarning);
    const channels = Array.from({ length: 20 }, (_, i) => `c${i}`);
    // Slow: all but channel 0 wait on the wake signal (a listener each).
    const idle = new Publisher(channels, 0.1, () => null, 'idle');
    const busy = new Publisher(channels, 100, () => `http://127.0.0.1:${port}`, 'busy');
    try {
      idle.start();
      busy.start();
      // More than 10 publishes in flight at once: more than 10 cutoff listeners.
      await waitFor(() => sockets.size >= 11, 10_000, '11 publishes in flight');
    } finally {
      await idle.stop(0);
      await busy.stop(0);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
    // Warnings are emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
  });
});
