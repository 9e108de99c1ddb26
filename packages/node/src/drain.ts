import type { Clock, LifelineClient, Position } from '@lifeline/core';
import { checkOptionsObject, LifelineNodeError, showValue } from './errors';
import type { MessageIterator } from './messageIterator';
import { MAX_TIMER_MS } from './nodeOptions';
import { checkKnownKeys, DRAIN_OPTION_KEYS } from './optionKeys';
import type { SocketFlow } from './socketFlow';

/** Options of `client.drain()`. */
export interface DrainOptions {
  /**
   * Upper bound for the whole drain; past it, whatever is left is abandoned and the socket closed.
   * `Infinity` (or any value >= 2^31 - 1 ms, about 24.8 days) means no deadline: the drain waits
   * for every consumer and publish. NaN or a negative value rejects with `BAD_OPTION`.
   * @default 10_000
   */
  timeoutMs?: number | undefined;
  /**
   * Close code sent to the server: 1000, 1001 or 3000–4999 (core's rule). Anything else
   * rejects with `BAD_OPTION` before the drain does anything.
   * @default 1001
   */
  code?: number | undefined;
  /**
   * Close reason sent to the server: a string of at most 123 UTF-8 bytes (the WebSocket
   * limit), else `BAD_OPTION` before the drain does anything.
   * @default 'drain'
   */
  reason?: string | undefined;
}

/** What a drain achieved. */
export interface DrainResult {
  /**
   * False when `timeoutMs` ran out before consumers ended (with `autoAck: false`: before the
   * messages they had handed out were acknowledged) and publishes were acknowledged, when a
   * checkpoint write failed (`failedCheckpoints`), or when a `close()` during the drain
   * failed publishes (`failedPublishes`).
   */
  clean: boolean;
  /** Publishes still unacknowledged when the drain closed the socket (they were rejected with CLIENT_CLOSED). */
  unflushedPublishes: number;
  /**
   * Publishes the drain was waiting for that a `close()` called during the drain (on this
   * client or on `client.core`) failed with CLIENT_CLOSED before the drain closed the
   * socket itself. Such a publish may or may not have been stored: re-publish it with the
   * same `id` (the server dedupes by id). 0 when nothing interrupted the drain.
   */
  failedPublishes: number;
  /**
   * Consumers still running when the timeout hit (their current message stays
   * unacknowledged), or, with `autoAck: false`, still owing an `ack()` for a message handed out.
   */
  unfinishedConsumers: number;
  /**
   * Channels whose last checkpoint write failed (the store refused it: disk full, Redis
   * read-only): their `checkpoints` entry is the last durable position, behind what was
   * processed, and those messages are redelivered next run. Any → `clean: false`.
   */
  failedCheckpoints: string[];
  /**
   * Durable (committed) position after the drain of each consumer still running when
   * drain() was called (null: it never committed one). Loops ended before are not listed.
   */
  checkpoints: Record<string, Position | null>;
}

export interface DrainHost {
  client: LifelineClient;
  iterators: Set<MessageIterator<any>>;
  pending: Set<Promise<unknown>>;
  flow: SocketFlow;
  clock: Clock;
  /** Publishes failed with CLIENT_CLOSED so far (a counter; the drain takes the difference). */
  failedByClose(): number;
}

/** Defaults of {@link DrainOptions}. */
export const DRAIN_DEFAULTS = { timeoutMs: 10_000, code: 1001, reason: 'drain' } as const;

/** Drain options checked and defaulted; `timeoutMs: null` = no deadline. */
export interface ResolvedDrainOptions {
  timeoutMs: number | null;
  code: number;
  reason: string;
}

/**
 * Checks the options before the drain does anything irreversible (consumers
 * stopped, client marked closed): a code core's close() would refuse only after
 * all of that would leave the socket open forever.
 */
export function resolveDrainOptions(options: DrainOptions): ResolvedDrainOptions {
  checkOptionsObject(options, 'drain()');
  // A mistyped key (`timeout`, `timeoutMS`) silently kept the 10 s default deadline.
  checkKnownKeys(options, DRAIN_OPTION_KEYS, 'drain()');
  const timeoutMs = options.timeoutMs ?? DRAIN_DEFAULTS.timeoutMs;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new LifelineNodeError('BAD_OPTION', `drain timeoutMs must be a number >= 0 or Infinity (got ${showValue(timeoutMs)})`);
  }
  const code = options.code ?? DRAIN_DEFAULTS.code;
  // Core's rule (CloseOptions.code), plus integer: a close code is a 16-bit integer.
  if (!(Number.isInteger(code) && (code === 1000 || code === 1001 || (code >= 3000 && code <= 4999)))) {
    throw new LifelineNodeError('BAD_OPTION', `drain close code ${showValue(code)}: use 1000, 1001 or 3000-4999`);
  }
  const reason = options.reason ?? DRAIN_DEFAULTS.reason;
  // A number went out as its text; a longer reason is refused by ws at close time, unseen.
  if (typeof reason !== 'string' || Buffer.byteLength(reason, 'utf8') > 123) {
    throw new LifelineNodeError('BAD_OPTION', `drain reason must be a string of at most 123 UTF-8 bytes (got ${typeof reason === 'string' ? `${Buffer.byteLength(reason, 'utf8')} bytes` : showValue(reason)})`);
  }
  return {
    // Passing such a delay to setTimeout would end the drain at once instead of never.
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs < MAX_TIMER_MS ? timeoutMs : null,
    code,
    reason,
  };
}

/**
 * Graceful shutdown, in order: consumers stop taking messages (the one being
 * processed may finish and is committed), checkpoint writes complete, queued
 * publishes are acknowledged, then the socket closes with 1001 and the client stops.
 */
export async function drainClient(host: DrainHost, options: ResolvedDrainOptions): Promise<DrainResult> {
  const { timeoutMs } = options;
  const failedBefore = host.failedByClose();
  let timer: unknown = null;
  const deadline = new Promise<'timeout'>((resolve) => {
    if (timeoutMs !== null) timer = host.clock.setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const iterators = [...host.iterators];
  const checkpoints: Record<string, Position | null> = {};
  const finished = new Set<MessageIterator<any>>();
  // A consumer is done once it ended, the messages it had handed out are acknowledged
  // (autoAck: false: a pool's tasks may still run after the loop got `done`) and its
  // checkpoint writes completed (or failed).
  const done = iterators.map((it) => {
    it.stop();
    return it.acknowledged().then(() => void finished.add(it));
  });
  const consumersDone = Promise.all(done);
  const consumersOk = (await Promise.race([consumersDone.then(() => 'ok' as const), deadline])) === 'ok';
  // Publishes get whatever time is left (none once the deadline passed).
  const publishesOk = (await Promise.race([flushPublishes(host), deadline])) === 'ok';
  // Counted before our own close(), which fails only what is left (unflushedPublishes).
  const failedPublishes = host.failedByClose() - failedBefore;
  const unflushedPublishes = host.pending.size;
  const unfinishedConsumers = iterators.length - finished.size;
  if (timer !== null) host.clock.clearTimeout(timer);
  // Past the deadline: end what is still running; its current message stays unacknowledged.
  await Promise.all(iterators.filter((it) => !finished.has(it)).map((it) => it.terminate()));
  const failedCheckpoints: string[] = [];
  for (const it of iterators) {
    if (it.checkpointError && it.channelName !== null) failedCheckpoints.push(it.channelName);
    // defineProperty: a channel named `__proto__` becomes a key, not a prototype change,
    // and the result stays a plain object (it prints as one in a log line).
    if (it.channelName !== null) {
      Object.defineProperty(checkpoints, it.channelName, { value: it.committed, enumerable: true, writable: true, configurable: true });
    }
  }
  const clean = consumersOk && publishesOk && failedPublishes === 0 && failedCheckpoints.length === 0;
  host.flow.reset();
  await host.client.close({ code: options.code, reason: options.reason });
  return { clean, unflushedPublishes, failedPublishes, unfinishedConsumers, failedCheckpoints, checkpoints };
}

async function flushPublishes(host: DrainHost): Promise<'ok'> {
  // whenFlushed() also covers publishes made through core directly.
  do {
    await Promise.allSettled([...host.pending]);
    await host.client.whenFlushed();
  } while (host.pending.size > 0);
  return 'ok';
}
