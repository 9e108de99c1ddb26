import type { Clock, LifelineClient, Position } from '@lifeline/core';
import type { MessageIterator } from './messageIterator';
import type { SocketFlow } from './socketFlow';

/** Options of `client.drain()`. */
export interface DrainOptions {
  /** Upper bound for the whole drain; past it, whatever is left is abandoned and the socket closed. @default 10_000 */
  timeoutMs?: number;
  /** Close code sent to the server. @default 1001 */
  code?: number;
  /** @default 'drain' */
  reason?: string;
}

/** What a drain achieved. */
export interface DrainResult {
  /** False when `timeoutMs` ran out before consumers ended and publishes were acknowledged. */
  clean: boolean;
  /** Publishes still unacknowledged when the socket closed (they were rejected with CLIENT_CLOSED). */
  unflushedPublishes: number;
  /** Consumers still running when the timeout hit (their current message stays unacknowledged). */
  unfinishedConsumers: number;
  /** Durable (committed) position of each consumed channel after the drain. */
  checkpoints: Record<string, Position | null>;
}

export interface DrainHost {
  client: LifelineClient;
  iterators: Set<MessageIterator<any>>;
  pending: Set<Promise<unknown>>;
  flow: SocketFlow;
  clock: Clock;
}

export const DRAIN_DEFAULTS = { timeoutMs: 10_000, code: 1001, reason: 'drain' } as const;

/**
 * Graceful shutdown, in order: consumers stop taking messages (the one being
 * processed may finish and is committed), checkpoint writes complete, queued
 * publishes are acknowledged, then the socket closes with 1001 and the client stops.
 */
export async function drainClient(host: DrainHost, options: DrainOptions): Promise<DrainResult> {
  const timeoutMs = options.timeoutMs ?? DRAIN_DEFAULTS.timeoutMs;
  let timer: unknown = null;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = host.clock.setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const iterators = [...host.iterators];
  const checkpoints: Record<string, Position | null> = {};
  const finished = new Set<MessageIterator<any>>();
  for (const it of iterators) {
    it.stop();
    void it.ended().then(() => finished.add(it));
  }
  const consumersDone = Promise.all(iterators.map((it) => it.ended()));
  const consumersOk = (await Promise.race([consumersDone.then(() => 'ok' as const), deadline])) === 'ok';
  // Publishes get whatever time is left (none once the deadline passed).
  const publishesOk = (await Promise.race([flushPublishes(host), deadline])) === 'ok';
  const clean = consumersOk && publishesOk;
  const unflushedPublishes = host.pending.size;
  const unfinishedConsumers = iterators.length - finished.size;
  host.clock.clearTimeout(timer);
  // Past the deadline: end what is still running; its current message stays unacknowledged.
  await Promise.all(iterators.filter((it) => !finished.has(it)).map((it) => it.terminate()));
  for (const it of iterators) {
    if (it.channelName !== null) checkpoints[it.channelName] = it.committed;
  }
  host.flow.reset();
  await host.client.close({ code: options.code ?? DRAIN_DEFAULTS.code, reason: options.reason ?? DRAIN_DEFAULTS.reason });
  return { clean, unflushedPublishes, unfinishedConsumers, checkpoints };
}

async function flushPublishes(host: DrainHost): Promise<'ok'> {
  // whenFlushed() also covers publishes made through core directly.
  do {
    await Promise.allSettled([...host.pending]);
    await host.client.whenFlushed();
  } while (host.pending.size > 0);
  return 'ok';
}
