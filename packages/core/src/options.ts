import { createBackoff, DEFAULT_RECONNECT, type BackoffFn } from './backoff';
import { browserLifecycle, type LifecycleSource } from './browserLifecycle';
import { systemClock } from './clock';
import { defaultWebSocket } from './platform';
import { silentLogger } from './logger';
import { DEFAULT_OUTBOX } from './outbox';
import type { ClientOptions, Clock, Logger, WebSocketLike } from './types';

/** Defaults of {@link HeartbeatOptions} that do not depend on the server. */
export const DEFAULT_HEARTBEAT = {
  /** Used before the server announced its interval. */
  timeoutMs: 31_000,
  checkIntervalMs: 1000,
  probeTimeoutMs: 5000,
  jumpThresholdMs: 5000,
};

export interface ResolvedOptions {
  url: string;
  clientId: string;
  reconnect: typeof DEFAULT_RECONNECT;
  backoff: BackoffFn;
  /** `timeoutMs` as given (undefined = derive from the server's heartbeatMs). */
  heartbeat: typeof DEFAULT_HEARTBEAT & { fixedTimeoutMs: number | undefined };
  outbox: typeof DEFAULT_OUTBOX;
  WebSocket: WebSocketLike;
  clock: Clock;
  random: () => number;
  logger: Logger;
  lifecycle: LifecycleSource | null;
  handshakeTimeoutMs: number;
  agent: string;
}

/** Fills every option with its documented default. Reads no globals. */
export function resolveOptions(o: ClientOptions): ResolvedOptions {
  const random = o.random ?? Math.random;
  const reconnect = { ...DEFAULT_RECONNECT, ...o.reconnect };
  return {
    url: o.url,
    clientId: o.clientId ?? `c_${randomId(random)}`,
    reconnect,
    backoff: createBackoff(reconnect),
    heartbeat: { ...DEFAULT_HEARTBEAT, ...o.heartbeat, fixedTimeoutMs: o.heartbeat?.timeoutMs },
    outbox: { ...DEFAULT_OUTBOX, ...o.outbox },
    WebSocket: o.WebSocket ?? defaultWebSocket(),
    clock: o.clock ?? systemClock,
    random,
    logger: o.logger ?? silentLogger,
    lifecycle: o.lifecycle === false ? null : (o.lifecycle ?? browserLifecycle),
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    agent: o.agent ?? 'lifeline-core/0.1.0',
  };
}

export function randomId(random: () => number): string {
  return Math.floor(random() * 2 ** 48).toString(36);
}
