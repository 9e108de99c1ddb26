import { afterEach, describe, expect, it } from 'vitest';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { dial, startEcho, waitFor, type EchoServer } from './helpers';

// P1-2: a bandwidth change applies to the bytes already queued in the proxy, in order.
// Lifting a 300 B/s cap used to leave 20 KB trickling out at 300 B/s (over a minute).

let echo: EchoServer | undefined;
let proxy: ChaosProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await echo?.close();
  proxy = undefined;
  echo = undefined;
});

/** 20 KB whose bytes differ from their neighbours, so any reordering shows. */
const payload = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function queued(bytesPerSec: number) {
  echo = await startEcho();
  proxy = await createChaosProxy({ listenPort: 0, target: `127.0.0.1:${echo.port}`, bytesPerSec });
  const c = await dial(proxy.port);
  c.socket.write(payload);
  return { proxy, c };
}

describe('chaos proxy: a bandwidth change reaches bytes already queued', () => {
  it('lifting the cap (bandwidth off) sends the queue at once, in order', async () => {
    const { proxy, c } = await queued(300);
    await sleep(300);
    expect(c.received().length).toBeLessThan(2_000);
    proxy.setBandwidth(null);
    await waitFor(() => c.received().length === payload.length, 5_000, 'the queued 20 KB after the cap was lifted');
    expect(c.received().equals(payload)).toBe(true);
  });

  it('raising the cap speeds up the queue', async () => {
    const { proxy, c } = await queued(300);
    await sleep(200);
    proxy.setBandwidth(200_000);
    await waitFor(() => c.received().length === payload.length, 5_000, 'the queued 20 KB at 200 KB/s');
    expect(c.received().equals(payload)).toBe(true);
  });

  it('lowering the cap slows down the queue, and lifting it then delivers the rest in order', async () => {
    const { proxy, c } = await queued(20_000); // about 1 s each way
    await sleep(200);
    proxy.setBandwidth(1_000);
    await sleep(1_500);
    // At 20 KB/s everything would be back by now; at 1 KB/s from 200 ms on, well under half.
    expect(c.received().length).toBeLessThan(12_000);
    proxy.setBandwidth(null);
    await waitFor(() => c.received().length === payload.length, 5_000, 'the rest once the cap was lifted');
    expect(c.received().equals(payload)).toBe(true);
  });
});
