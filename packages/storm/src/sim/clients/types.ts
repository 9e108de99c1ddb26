import type { GapRecord } from '../../metrics/delivery';
import type { Strategy } from '../../result';

/** What the harness learns from a client; every simulated client calls these. */
export interface SimClientHooks {
  /** Handshake complete (welcome received). */
  onOpen(): void;
  /** The connection was lost (the client will retry on its own). */
  onDrop(): void;
  /** A message reached the application handler. `seq` is the publisher's sequence number. */
  onMessage(channelIndex: number, seq: number): void;
  /** The client announced a gap. */
  onGap(channelIndex: number, gap: GapRecord): void;
  /**
   * The client reported an error (core's `error` event), by code. `final`: it gave up
   * and stays closed (a refused token, an upgrade refused with HTTP 4xx). Optional for
   * a client that reports none.
   */
  onError?(code: string, message: string, final: boolean): void;
}

/** Everything a client implementation needs to join the fleet. */
export interface SimClientSpec {
  /** `ws://…/v1` */
  url: string;
  index: number;
  channels: string[];
  strategy: Strategy;
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * A token (JWT) to send in the hello, for a server with a secret (`--token`); absent on
   * an open server. Static: a client refused it (4100) or past its `exp` (4101) stops.
   */
  token?: string;
  /** Seeded per client. */
  random: () => number;
  /** Counting WebSocket constructor: every attempt must go through it. */
  WebSocket: new (url: string, protocols?: string | string[]) => unknown;
  hooks: SimClientHooks;
}

export interface SimClient {
  /** Connected and subscribed to every channel. */
  isReady(): boolean;
  /** Where the next connection attempts go (the current connection is untouched). */
  setUrl(url: string): void;
  close(): Promise<void>;
}

/** Plug point: build one simulated client. */
export type SimClientFactory = (spec: SimClientSpec) => SimClient;
