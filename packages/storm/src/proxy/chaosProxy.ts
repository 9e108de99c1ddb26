import { createServer, connect, type Server, type Socket } from 'node:net';
import { StormError } from '../errors';
import { parseEndpoint, isLoopbackHost, type Endpoint } from './address';
import { latencyProblem } from './latencyRule';
import { DEFAULT_QUEUE_HIGH_WATER_MARK } from './lane';
import { Link, reset } from './link';
import { checkSteps, runSchedule, type ChaosStep } from './schedule';

export interface ChaosProxyOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  listenPort?: number | undefined;
  /** Loopback address to listen on. @default '127.0.0.1' */
  listenHost?: string | undefined;
  /**
   * Where to forward: `ws://127.0.0.1:PORT`, `http://…` or `host:port`. Several
   * targets are used round-robin, skipping any that refuse the connection (like a
   * load balancer in front of server nodes): each connection tries every target at
   * most once, from its own round-robin pick on, and is closed (counted in `refused`)
   * only when all of them refused. Loopback only.
   */
  target: string | string[];
  /** One-way delay added in each direction, ms, at most 2^31−1 (Node's longest timer; more is a `BAD_OPTION`). @default 0 */
  latencyMs?: number | undefined;
  /** Bandwidth cap per connection and direction, bytes/s; null = unlimited. @default null */
  bytesPerSec?: number | null | undefined;
  /** Steps to run on their own, relative to creation (see {@link ChaosStep}). @default [] */
  schedule?: ChaosStep[] | undefined;
  /**
   * Bytes each connection and direction may hold in its latency / bandwidth queue: above
   * it the proxy stops reading from the sender until the queue is down to half, so a
   * capped or delayed link pushes back on the sender (its writes back up) as a real slow
   * link does, and the proxy's memory stays bounded. A positive finite number, else
   * `BAD_OPTION`. @default 1048576 (1 MiB)
   */
  queueHighWaterMark?: number | undefined;
}

export interface ChaosProxyStats {
  /** Connections accepted since start. */
  accepted: number;
  /** Connections currently held (forwarding, blackholed, or still connecting to the target). */
  active: number;
  /** Connections reset by `cut()`. */
  cut: number;
  /** Connections the proxy could not forward because every target refused. */
  refused: number;
  /** Bytes forwarded client → target and target → client. */
  bytesUp: number;
  bytesDown: number;
}

export interface ChaosProxy {
  readonly port: number;
  readonly host: string;
  /** `ws://host:port`: append the path your client uses (e.g. `/v1`). */
  readonly url: string;
  /**
   * Resets current connections (both peers see a dead socket at once): all of them,
   * or each with probability `fraction` drawn from `random`. Returns how many.
   * Throws `BAD_OPTION` unless `0 ≤ fraction ≤ 1`. @default fraction 1, random Math.random
   */
  cut(fraction?: number, random?: () => number): number;
  /**
   * Half-open: current connections stop forwarding both ways and are never closed by
   * the proxy; new connections are accepted and then ignored, until `restore()`.
   */
  blackhole(): number;
  /** New connections forward again (blackholed ones stay dead, as in real life). */
  restore(): void;
  /** One-way delay from now on, ms: 0 to 2^31−1, else `BAD_OPTION` (nothing changes). */
  setLatency(ms: number): void;
  /**
   * Bandwidth cap per connection and direction from now on, bytes/s, or null for none;
   * it applies to bytes already queued too, in order (lifting the cap sends them at once).
   */
  setBandwidth(bytesPerSec: number | null): void;
  /** Points new connections at other target(s); existing ones, also those still failing over, are untouched. */
  setTarget(target: string | string[]): void;
  /** Runs steps on a timer; returns a function that cancels the steps not yet run. */
  schedule(steps: ChaosStep[]): () => void;
  stats(): ChaosProxyStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Starts a TCP-level chaos proxy on loopback. Resolves once it is listening. */
export async function createChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const host = options.listenHost ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new StormError('NON_LOOPBACK', `proxy must listen on loopback, not ${host}`);
  let targets = toEndpoints(options.target);
  // Checked before listening, with the setters' rules: a bad value must not leave a
  // server behind, nor throw later inside a timer (NaN latency would forward nothing).
  const latencyMs = options.latencyMs ?? 0;
  const badLatency = latencyProblem(latencyMs);
  if (badLatency) throw new StormError('BAD_OPTION', badLatency);
  const bytesPerSec = options.bytesPerSec ?? null;
  if (bytesPerSec !== null && !(bytesPerSec > 0)) throw new StormError('BAD_OPTION', `bandwidth must be > 0 bytes/s or null, got ${bytesPerSec}`);
  if (options.schedule) checkSteps(options.schedule);
  const highWaterMark = options.queueHighWaterMark ?? DEFAULT_QUEUE_HIGH_WATER_MARK;
  // NaN or Infinity would bring back the unbounded queue; 0 or less would never read.
  if (typeof highWaterMark !== 'number' || !Number.isFinite(highWaterMark) || !(highWaterMark > 0)) {
    throw new StormError('BAD_OPTION', `queueHighWaterMark must be a finite number of bytes > 0, got ${String(highWaterMark)}`);
  }
  // A fixed port is checked before listening: such a proxy would connect to itself for
  // every connection, each connect another, until the process ran out of files.
  if (options.listenPort) refuseSelf(targets, host, options.listenPort);
  const shape = { latencyMs, bytesPerSec };
  const links = new Set<Link>();
  const held = new Set<Socket>();
  // Accepted clients whose connection to a target is still being made (client → that
  // attempt): current connections too, so cut(), blackhole() and close() reach them.
  const pending = new Map<Socket, Socket>();
  const cancels = new Set<() => void>();
  let blackholing = false;
  let next = 0;
  const counts = { accepted: 0, cut: 0, refused: 0, bytesUp: 0, bytesDown: 0 };

  /** Half-open from now on: read and discard, never forward, never close. */
  const hold = (client: Socket) => {
    held.add(client);
    client.on('close', () => held.delete(client));
    client.resume(); // read and discard: nothing ever reaches the target
  };

  // The failover walks on from this connection's own pick (`start`), not from `next`:
  // concurrent connects move `next` on, so a retry taking it could land on the refusing
  // target again and reset the client while another target was up. `list` is the one in
  // force when the client arrived, so "each target once" holds across a setTarget().
  const forward = (client: Socket, list: Endpoint[], start: number, tries: number) => {
    const target = list[(start + tries) % list.length]!;
    const server = connect({ host: target.host, port: target.port });
    server.setNoDelay(true);
    pending.set(client, server);
    // cut(), blackhole() or close() took the client while this attempt was in flight.
    const abandoned = () => pending.get(client) !== server || client.destroyed;
    const onFail = () => {
      server.destroy();
      if (abandoned()) return;
      if (tries + 1 < list.length) forward(client, list, start, tries + 1);
      else {
        pending.delete(client);
        counts.refused++;
        client.destroy();
      }
    };
    server.once('error', onFail);
    server.once('connect', () => {
      server.off('error', onFail);
      if (abandoned()) {
        server.destroy();
        return;
      }
      pending.delete(client);
      const link = new Link(client, server, () => shape, (l) => {
        counts.bytesUp += l.up.bytes;
        counts.bytesDown += l.down.bytes;
        links.delete(l);
      }, highWaterMark);
      links.add(link);
      client.resume();
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    counts.accepted++;
    client.setNoDelay(true);
    client.on('error', () => {});
    if (blackholing) {
      hold(client);
      return;
    }
    client.on('close', () => {
      pending.get(client)?.destroy(); // gave up before its target answered
      pending.delete(client);
    });
    forward(client, targets, next++ % targets.length, 0);
  });

  await new Promise<void>((resolve, reject) => {
    // The system's code (EADDRINUSE, EACCES) is what tells a busy port from anything else.
    server.once('error', (e: NodeJS.ErrnoException) => reject(new StormError('RUN_FAILED', `proxy cannot listen on ${host}:${options.listenPort ?? 0}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (the port is in use)' : ''}`, { cause: e })));
    // A deep accept queue: a reconnect wave must not overflow it (SYN retries take seconds).
    server.listen({ port: options.listenPort ?? 0, host, backlog: 4096 }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    refuseSelf(targets, host, port); // port 0: the one picked could be a target's
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw e;
  }

  const proxy: ChaosProxy = {
    port,
    host,
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    cut(fraction = 1, random = Math.random) {
      // NaN would compare false everywhere and cut nothing, silently.
      if (!(fraction >= 0 && fraction <= 1)) throw new StormError('BAD_OPTION', `cut fraction must be in [0, 1], got ${fraction}`);
      let n = 0;
      const pick = () => fraction >= 1 || random() < fraction;
      for (const link of [...links]) {
        if (!pick()) continue;
        link.cut();
        n++;
      }
      for (const s of [...held]) {
        if (!pick()) continue;
        s.destroy();
        n++;
      }
      for (const [client, attempt] of [...pending]) {
        if (!pick()) continue;
        pending.delete(client);
        attempt.destroy();
        reset(client);
        n++;
      }
      counts.cut += n;
      return n;
    },
    blackhole() {
      blackholing = true;
      let n = 0;
      for (const link of links) {
        if (!link.blackholed) {
          link.blackhole();
          n++;
        }
      }
      // Still connecting upstream: they never start forwarding, also after restore().
      for (const [client, attempt] of [...pending]) {
        pending.delete(client);
        attempt.destroy();
        hold(client);
        n++;
      }
      return n;
    },
    restore() {
      blackholing = false;
    },
    setLatency(ms) {
      const bad = latencyProblem(ms);
      if (bad) throw new StormError('BAD_OPTION', bad);
      shape.latencyMs = ms;
    },
    setBandwidth(bytesPerSec) {
      if (bytesPerSec !== null && !(bytesPerSec > 0)) throw new StormError('BAD_OPTION', `bandwidth must be > 0 bytes/s or null, got ${bytesPerSec}`);
      shape.bytesPerSec = bytesPerSec;
      // Bytes already queued under the old cap follow the new one (lifting it heals the link).
      for (const link of links) link.reshape();
    },
    setTarget(target) {
      const list = toEndpoints(target);
      refuseSelf(list, host, port);
      targets = list;
    },
    schedule(steps) {
      const cancel = runSchedule(proxy, steps);
      cancels.add(cancel);
      return () => {
        cancel();
        cancels.delete(cancel);
      };
    },
    stats() {
      let up = counts.bytesUp;
      let down = counts.bytesDown;
      for (const l of links) {
        up += l.up.bytes;
        down += l.down.bytes;
      }
      return { accepted: counts.accepted, active: links.size + held.size + pending.size, cut: counts.cut, refused: counts.refused, bytesUp: up, bytesDown: down };
    },
    async close() {
      for (const c of cancels) c();
      cancels.clear();
      for (const link of [...links]) {
        link.client.destroy();
        link.server.destroy();
      }
      for (const s of held) s.destroy();
      for (const [client, attempt] of [...pending]) {
        attempt.destroy();
        client.destroy();
      }
      pending.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  if (options.schedule?.length) proxy.schedule(options.schedule);
  return proxy;
}

/** 127.0.0.1 and localhost (and ::1 and localhost) are one listener's address to a connect. */
function sameHost(a: string, b: string): boolean {
  const norm = (h: string) => h.toLowerCase().replace(/^\[|\]$/g, '');
  const x = norm(a);
  const y = norm(b);
  if (x === y) return true;
  const local = (h: string) => h === '127.0.0.1' || h === '::1';
  return (x === 'localhost' && local(y)) || (y === 'localhost' && local(x));
}

/**
 * Refuses (`BAD_OPTION`) a target that is the proxy's own listen address: it used to
 * forward to itself, ~10,000 connections in 1.5 s, until EMFILE.
 */
function refuseSelf(targets: Endpoint[], host: string, port: number): void {
  const self = targets.find((t) => t.port === port && sameHost(t.host, host));
  if (self) throw new StormError('BAD_OPTION', `the proxy's target ${self.host}:${self.port} is the proxy itself (it listens on ${host}:${port}): it would forward every connection to itself; point --target at the server`);
}

function toEndpoints(target: string | string[]): Endpoint[] {
  const list = Array.isArray(target) ? target : [target];
  if (list.length === 0) throw new StormError('BAD_OPTION', 'the proxy needs at least one target');
  return list.map(parseEndpoint);
}
