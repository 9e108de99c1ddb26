import type { WebSocket } from 'ws';
import type { Broker } from './broker/types';
import type { ChannelHub } from './channelHub';
import type { ResolvedOptions } from './options';
import type { PresenceGrace } from './presenceGrace';
import type { Session } from './session/session';
import type { StatsCounter } from './stats';

/** Mutable state the fault hooks flip; read on every send. */
export interface FaultState {
  /** Outbound frames are delayed by this many ms (0 = off). */
  delayMs: number;
}

/** Everything a session, route or hook needs from its server. */
export interface ServerContext {
  opts: ResolvedOptions;
  broker: Broker;
  hub: ChannelHub;
  stats: StatsCounter;
  grace: PresenceGrace;
  /** Open /v1 sessions. */
  sessions: Set<Session>;
  /** Open /echo sockets. */
  echoSockets: Set<WebSocket>;
  /** Cleanup work of closed sessions still running (unsubscribes, presence). */
  cleanups: Set<Promise<void>>;
  faults: FaultState;
  /** Set once the drain proper or `close()` starts: upgrades are refused. */
  stopping: boolean;
  /**
   * Set once `drain()` (its pre-drain delay included) or `close()` starts: `/healthz` says 503
   * and `draining`, `/metrics` says `lifeline_draining 1`, HTTP answers carry `Connection: close`.
   */
  notReady: boolean;
  /** TTL given to broker presence entries; refreshed on every heartbeat tick. */
  presenceTtlMs: number;
}
