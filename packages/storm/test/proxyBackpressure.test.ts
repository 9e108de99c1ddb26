import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChaosProxy, type ChaosProxy } from '../src/proxy/chaosProxy';
import { Lane, type LaneShape } from '../src/proxy/lane';
import { waitFor } from './helpers';

// Chaos soak finding 3: behind a bandwidth cap (or a latency) a lane read everything its
// sender wrote into an unbounded queue: 100 MB behind a 10 kB/s cap in 2.7 s, and the
// sender never saw backpressure, so the server's slow-consumer protections were never
// exercised through the proxy. And flush() kept writing to a backpressured destination,
// one 'drain' listener per write (MaxListenersExceededWarning).

const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * The stream repeats `pattern` every PERIOD bytes: neighbours differ and PERIOD is no
 * multiple of a chunk size, so a lost, repeated or reordered slice shows. Slicing a
 * ready buffer keeps the sender fast (the lane, not the test, must be the bottleneck).
 */
const PERIOD = 251 * 1021;
const pattern = Buffer.from(Array.from({ length: PERIOD + 64 * 1024 }, (_, i) => ((i % PERIOD) * 31 + ((i % PERIOD) >>> 8)) & 0xff));

const servers: Server[] = [];
const sockets: Socket[] = [];
let proxy: ChaosProxy | undefined;

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await proxy?.close();
  proxy = undefined;
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  servers.length = 0;
});

async function listen(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onConnection(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

async function dialTo(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  sockets.push(s);
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  return s;
}

/** Writes `total` pattern bytes as fast as `s` accepts them (write, and on false wait for 'drain'). */
function pump(s: Socket, total: number) {
  const state = { written: 0, waitingDrain: false, refused: 0, done: false };
  const step = () => {
    state.waitingDrain = false;
    while (state.written < total) {
      const n = Math.min(64 * KiB, total - state.written);
      const at = state.written % PERIOD;
      const chunk = pattern.subarray(at, at + n);
      state.written += n;
      if (!s.write(chunk)) {
        state.refused++;
        state.waitingDrain = true;
        s.once('drain', step);
        return;
      }
    }
    state.done = true;
  };
  step();
  return state;
}

/** Checks every byte `s` receives against the pattern, in order, without keeping them. */
function verify(s: Socket) {
  const state = { received: 0, firstBad: -1 };
  s.on('data', (chunk: Buffer) => {
    for (let j = 0; j < chunk.length && state.firstBad < 0; ) {
      const at = (state.received + j) % PERIOD;
      const n = Math.min(chunk.length - j, 64 * 1024);
      if (!chunk.subarray(j, j + n).equals(pattern.subarray(at, at + n))) state.firstBad = state.received + j;
      j += n;
    }
    state.received += chunk.length;
  });
  return state;
}

/**
 * What the lane holds, counted from its queue itself (so the measure does not depend on
 * the accessor under test, and reads the same on the code before the fix).
 */
function held(lane: Lane): number {
  const queue = (lane as unknown as { queue: { chunk: Buffer }[] }).queue;
  return queue.reduce((n, e) => n + e.chunk.length, 0);
}

/** Samples the lane's queue every few ms: the most it held, and whether `queuedBytes` agreed. */
function watchQueue(lane: Lane, everyMs: number) {
  const state = { max: 0, disagreed: 0 };
  const look = () => {
    const n = held(lane);
    state.max = Math.max(state.max, n);
    if (lane.queuedBytes !== n) state.disagreed++;
  };
  const timer = setInterval(look, everyMs);
  return { state, look, stop: () => clearInterval(timer) };
}

/**
 * A lane between real loopback sockets: `sender` → `from` ~lane~> `to` → `receiver`.
 * The sender writes more than loopback's socket buffers hold, so only a lane that stops
 * reading can make it wait.
 */
async function laneRig(shape: LaneShape, highWaterMark: number) {
  let fromSide!: Socket;
  const fromPort = await listen((s) => (fromSide = s));
  let receiver!: Socket;
  const toPort = await listen((s) => (receiver = s));
  const sender = await dialTo(fromPort);
  const to = await dialTo(toPort);
  await waitFor(() => fromSide !== undefined && receiver !== undefined, 5_000, 'both accepts');
  const lane = new Lane(fromSide, to, () => shape, highWaterMark);
  return { lane, sender, to, receiver };
}

describe('chaos proxy lanes push back on the sender instead of queueing without bound', () => {
  it('behind a bandwidth cap: the queue stays under its mark, the sender backs up, all bytes arrive in order', async () => {
    const highWaterMark = 64 * KiB;
    const total = 48 * MiB;
    const shape: LaneShape = { latencyMs: 0, bytesPerSec: 200_000 };
    const { lane, sender, receiver } = await laneRig(shape, highWaterMark);
    const got = verify(receiver);
    const q = watchQueue(lane, 5);
    try {
      const out = pump(sender, total);
      // Fixed: the sender stalls once the lane holds it; at 200 kB/s the receiver then gets
      // 2 marks' worth (the lane resuming and pausing its sender in between). Unfixed: the
      // lane swallows all 48 MiB at once while the receiver has a few slices.
      await waitFor(() => out.done || got.received >= 2 * highWaterMark, 10_000, 'the sender to finish or the cap to deliver 128 KiB');
      q.look();
      expect(out.done).toBe(false);
      expect(out.refused).toBeGreaterThan(0);
      expect(sender.writableLength).toBeGreaterThan(0);
      // One chunk read while just under the mark may land on top of it.
      expect(q.state.max).toBeLessThanOrEqual(highWaterMark + 64 * KiB);
      expect(lane.holdingSender).toBe(true);

      shape.bytesPerSec = null;
      lane.reshape();
      await waitFor(() => got.received >= total, 20_000, 'all 48 MiB once the cap was lifted');
      expect(out.done).toBe(true);
      expect(got.received).toBe(total);
      expect(got.firstBad).toBe(-1);
      expect(q.state.max).toBeLessThanOrEqual(highWaterMark + 64 * KiB);
      expect(lane.queuedBytes).toBe(0);
      expect(q.state.disagreed).toBe(0);
    } finally {
      q.stop();
      lane.dispose();
    }
  });

  it('behind a latency: the queue stays under its mark and all bytes arrive in order', async () => {
    const highWaterMark = 256 * KiB;
    const total = 4 * MiB;
    const { lane, sender, receiver } = await laneRig({ latencyMs: 30, bytesPerSec: null }, highWaterMark);
    const got = verify(receiver);
    const q = watchQueue(lane, 2);
    try {
      pump(sender, total);
      // About a mark per 30 ms: well under a second.
      await waitFor(() => got.received >= total, 20_000, 'all 4 MiB through a 30 ms lane');
      expect(got.received).toBe(total);
      expect(got.firstBad).toBe(-1);
      // Unfixed, the lane read the whole 4 MiB into its queue within the first 30 ms.
      expect(q.state.max).toBeGreaterThan(0);
      expect(q.state.max).toBeLessThanOrEqual(highWaterMark + 64 * KiB);
      expect(q.state.disagreed).toBe(0);
    } finally {
      q.stop();
      lane.dispose();
    }
  });

  it('stops writing to a backpressured destination and waits for one drain', async () => {
    const highWaterMark = 64 * KiB;
    const total = 24 * MiB;
    // 1 MiB slices every 50 ms: the receiver's socket buffers are full within a few.
    const shape: LaneShape = { latencyMs: 0, bytesPerSec: 20 * MiB };
    const { lane, sender, to, receiver } = await laneRig(shape, highWaterMark);
    receiver.pause();
    let maxListeners = 0;
    let maxBuffered = 0;
    const sample = setInterval(() => {
      maxListeners = Math.max(maxListeners, to.listenerCount('drain'));
      maxBuffered = Math.max(maxBuffered, to.writableLength);
    }, 5);
    try {
      const out = pump(sender, total);
      // Fixed: the lane holds its sender and waits on `to`. Unfixed: it never holds, and
      // adds a 'drain' listener per 1 MiB slice written on top of the backlog.
      await waitFor(() => maxListeners > 1 || (lane.holdingSender === true && to.writableLength > 0 && out.waitingDrain), 10_000, 'the lane to wait on its destination');
      const sliceBytes = 20 * MiB / 20;
      expect(maxListeners).toBeLessThanOrEqual(1);
      // What `to` buffers beyond its own mark is the one slice that found it full.
      expect(maxBuffered).toBeLessThanOrEqual(to.writableHighWaterMark + sliceBytes);
      expect(out.done).toBe(false);

      const got = verify(receiver);
      receiver.resume();
      await waitFor(() => got.received >= total, 20_000, 'all 24 MiB once the receiver reads');
      expect(got.received).toBe(total);
      expect(got.firstBad).toBe(-1);
      expect(maxListeners).toBeLessThanOrEqual(1);
    } finally {
      clearInterval(sample);
      lane.dispose();
    }
  });

  it('through createChaosProxy: a capped link makes the sending server back up, and delivers everything in order', async () => {
    const total = 48 * MiB;
    let out: ReturnType<typeof pump> | undefined;
    let serverSide: Socket | undefined;
    const port = await listen((s) => {
      serverSide = s;
      out = pump(s, total);
    });
    proxy = await createChaosProxy({ target: `127.0.0.1:${port}`, bytesPerSec: 200_000, queueHighWaterMark: 64 * KiB });
    const client = await dialTo(proxy.port);
    const got = verify(client);
    await waitFor(() => out?.done === true || got.received >= 128 * KiB, 10_000, 'the server to finish or the cap to deliver 128 KiB');
    // The soak's repro: the server wrote everything at once into the proxy's memory.
    expect(out!.done).toBe(false);
    expect(serverSide!.writableLength).toBeGreaterThan(0);
    const p = proxy;
    p.setBandwidth(null);
    await waitFor(() => got.received >= total, 20_000, 'all 48 MiB once the cap was lifted');
    expect(got.received).toBe(total);
    expect(got.firstBad).toBe(-1);
    expect(p.stats().bytesDown).toBe(total);
  });

  it('refuses a queueHighWaterMark that is not a finite number > 0', async () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(createChaosProxy({ target: '127.0.0.1:9', queueHighWaterMark: bad })).rejects.toMatchObject({
        code: 'BAD_OPTION',
        message: expect.stringContaining('queueHighWaterMark'),
      });
    }
  });
});
