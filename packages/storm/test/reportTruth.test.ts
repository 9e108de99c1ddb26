// The report's numbers, counted a second way: a real reference server in this process
// (its own handshake counter and broker), storm's `blip` pointed at it with --target, and
// every client's socket counted and listened to outside storm's own bookkeeping.
import { createServer, memoryBroker, type LifelineServer } from '@lifeline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStorm } from '../src/sim/runStorm';
import { coreClientFactory } from '../src/sim/clients/coreClient';
import { liteClientFactory } from '../src/sim/clients/liteClient';
import type { SimClientFactory } from '../src/sim/clients/types';

const CLIENTS = 300;
const CHANNELS = 3;

/** What the wrapped clients did, as seen on their own sockets. */
interface Tally {
  sockets: number;
  /** client index → channel name → distinct `s` values received in `msg` frames. */
  received: Map<number, Map<string, Set<number>>>;
  channels: Set<string>;
}

/** Wraps a built-in factory: same client, but every socket it makes is counted and heard. */
function counted(inner: SimClientFactory, tally: Tally): SimClientFactory {
  return (spec) => {
    spec.channels.forEach((c) => tally.channels.add(c));
    const mine = new Map<string, Set<number>>();
    tally.received.set(spec.index, mine);
    const Base = spec.WebSocket as unknown as new (url: string) => { on(ev: 'message', l: (data: Buffer) => void): void };
    class Heard extends Base {
      constructor(url: string) {
        super(url);
        tally.sockets++;
        this.on('message', (data) => {
          const f = JSON.parse(String(data)) as { type?: string; channel?: string; data?: { s?: number } };
          if (f.type !== 'msg' || typeof f.data?.s !== 'number') return;
          let seen = mine.get(f.channel!);
          if (!seen) mine.set(f.channel!, (seen = new Set()));
          seen.add(f.data.s);
        });
      }
    }
    return inner({ ...spec, WebSocket: Heard as unknown as typeof spec.WebSocket });
  };
}

describe('a blip report against a real server matches counts taken outside storm', () => {
  let server: LifelineServer;
  const broker = memoryBroker();
  beforeAll(async () => {
    server = await createServer({ port: 0, host: '127.0.0.1', broker, heartbeatMs: 5_000 });
  });
  afterAll(() => server.close());

  for (const [name, factory] of [['lite', liteClientFactory], ['core', coreClientFactory]] as const) {
    it(`${name} client: attempts, server accepts, published and delivered`, async () => {
      const tally: Tally = { sockets: 0, received: new Map(), channels: new Set() };
      const acceptedBefore = server.stats().handshakesAccepted;
      const r = await runStorm(
        { scenario: 'blip', target: server.url, clients: CLIENTS, channels: CHANNELS, publishRate: 10, durationMs: 10_000, workers: 0, seed: 3 },
        { clientFactory: counted(factory, tally) },
      );
      const why = r.notes.join(' | ');
      expect(r.notBack, why).toBe(0);
      // Attempts: one per client in the warm-up (no admission control here), the rest after the fault.
      expect(tally.sockets, why).toBe(CLIENTS + r.attempts);
      expect(r.attempts, why).toBeGreaterThanOrEqual(CLIENTS); // the blip drops everyone
      // Every socket reached the server through the proxy and was accepted.
      expect(server.stats().handshakesAccepted - acceptedBefore, why).toBe(tally.sockets);
      // Published: the broker's head per channel (idempotent ids: one entry per message). A
      // publish abandoned in flight at the very end may be stored yet not acknowledged.
      expect(tally.channels.size).toBe(CHANNELS);
      let head = 0;
      for (const c of tally.channels) head += (await broker.position(c)).offset;
      expect(r.published, why).toBeGreaterThan(0);
      expect(head - r.published, why).toBeGreaterThanOrEqual(0);
      expect(head - r.published, why).toBeLessThanOrEqual(CHANNELS);
      // Delivered: distinct messages each client's sockets carried, all clients.
      let delivered = 0;
      for (const perChannel of tally.received.values()) for (const seen of perChannel.values()) delivered += seen.size;
      expect(r.delivered, why).toBe(delivered);
      expect({ lost: r.lost, duplicated: r.duplicated, reordered: r.reordered, gapped: r.gapped }, why).toEqual({ lost: 0, duplicated: 0, reordered: 0, gapped: 0 });
      // … which is every acknowledged message to every subscriber of its channel.
      expect(delivered, why).toBe(r.perChannel.reduce((n, ch) => n + ch.published * (CLIENTS / CHANNELS), 0));
    }, 60_000);
  }
});
