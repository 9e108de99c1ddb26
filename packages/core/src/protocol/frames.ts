/**
 * Lifeline wire protocol v1 — frame shapes. PROTOCOL.md is the normative text;
 * these types mirror it so the client and the reference server cannot drift.
 */

/** Channel names the protocol accepts (PROTOCOL.md §4). */
export const CHANNEL_NAME = /^[A-Za-z0-9_\-:.@/=+]{1,200}$/;

/** Protocol version this package speaks. */
export const PROTOCOL_VERSION = 1 as const;

/** A position in a channel's log. `offset` 0 means "before the first message". */
export interface Position {
  offset: number;
  epoch: string;
}

/** Limits the server announces in `welcome`. */
export interface ServerLimits {
  /** Largest text frame the server accepts, in bytes (UTF-8). */
  maxFrameBytes: number;
  /** Most channels one connection may be subscribed to at once. */
  maxChannels: number;
  /** Sustained publishes per second per connection (token bucket refill). */
  publishPerSec: number;
  /** Publish burst per connection (token bucket size). */
  publishBurst: number;
}

/** A presence member as seen on the wire. */
export interface PresenceMember {
  /** Stable id of the client (from `hello.clientId`), survives reconnects. */
  clientId: string;
  /** Subject of the token, when the server has auth enabled. */
  user?: string;
  /** Client-supplied info, JSON. */
  info?: unknown;
}

// ---------------------------------------------------------------- client → server

export interface HelloFrame {
  type: 'hello';
  v: number;
  token?: string;
  /** Stable per client instance; identifies the presence member across reconnects. */
  clientId?: string;
  /** Free-form `name/version` of the SDK, for server logs. */
  agent?: string;
}

export interface SubscribeFrame {
  type: 'sub';
  ref: number;
  channel: string;
  since?: Position;
  /**
   * Replay at most this many messages (an integer >= 1). When more are owed, the answer
   * says `more: true` and the subscription does not go live: the client subscribes again
   * from where the page ended. Absent: no limit (the whole replay, then live).
   */
  limit?: number;
}

export interface UnsubscribeFrame {
  type: 'unsub';
  ref: number;
  channel: string;
}

export interface PublishFrame {
  type: 'pub';
  ref: number;
  channel: string;
  data: unknown;
  /** Idempotency id, chosen by the client, unique per channel. */
  id: string;
}

export interface PresenceEnterFrame {
  type: 'presence.enter';
  ref: number;
  channel: string;
  info?: unknown;
}

export interface PresenceLeaveFrame {
  type: 'presence.leave';
  ref: number;
  channel: string;
}

/**
 * Replaces the connection's token without reconnecting (PROTOCOL.md §10.1). Only after
 * `welcome`; worth sending only to a server whose welcome carried `tokenExpiresInMs`
 * (one that checks tokens). Answered with {@link AuthedFrame}, or an `error` with this
 * `ref`: `BAD_TOKEN` / `TOKEN_EXPIRED` (the connection goes on under its current token),
 * or `BAD_FIELD` when `token` is not a string. A token whose permissions no longer cover
 * a channel the connection is subscribed to or present in closes it with 4204.
 */
export interface AuthFrame {
  type: 'auth';
  ref: number;
  /** The new token (same format as `hello.token`); it must name the same `sub`. */
  token: string;
}

// ---------------------------------------------------------------- either direction

export interface PingFrame {
  type: 'ping';
  /** Opaque, echoed in the pong (sender's clock, ms). */
  t?: number;
}

export interface PongFrame {
  type: 'pong';
  t?: number;
}

// ---------------------------------------------------------------- server → client

export interface WelcomeFrame {
  type: 'welcome';
  v: number;
  session: string;
  /** The server sends a ping at least this often. */
  heartbeatMs: number;
  limits: ServerLimits;
  /** Server wall clock, ms since epoch. */
  serverTime: number;
  /**
   * Milliseconds until the hello's token expires (its `exp` − now, ≥ 0), when the server
   * checks tokens; the connection is closed with 4101 then unless an `auth` frame
   * replaced the token. Present only on a server with a secret, and only such a server
   * needs `auth`: absent means the server is open (or does not speak `auth`).
   */
  tokenExpiresInMs?: number;
}

export interface SubscribedFrame {
  type: 'subscribed';
  ref: number;
  channel: string;
  /** Current epoch of the channel's log. */
  epoch: string;
  /** Head offset at the moment of subscribing (last assigned offset, 0 if none). */
  offset: number;
  /**
   * Only present when the request carried `since`. `true`: every message after
   * `since.offset` follows (replay, then live) with no gap. `false`: continuity is
   * lost (`reason` says why): the retained tail of the log, the last `replay` messages up
   * to `offset` (none when `replay` is absent), follows, then live after `offset`; the gap
   * ends at `offset - replay`.
   */
  recovered?: boolean;
  reason?: 'epoch-changed' | 'out-of-retention';
  /** Number of replayed `msg` frames that follow this reply, the last of them at `offset`. */
  replay?: number;
  /**
   * Only after a `sub` with `limit`: the log holds more after `offset` (here the last
   * offset of this page, not the head). Nothing live follows the page; subscribe again
   * from `offset` for the next one.
   */
  more?: boolean;
  /** Presence members present when subscribing. */
  presence?: PresenceMember[];
}

export interface UnsubscribedFrame {
  type: 'unsubscribed';
  ref: number;
  channel: string;
}

export interface MessageFrame {
  type: 'msg';
  channel: string;
  offset: number;
  epoch: string;
  data: unknown;
  /** Idempotency id of the publish that created it. */
  id?: string;
  /**
   * The publisher's token `sub`, set by the server on a server with a secret; absent on an
   * open server or for a token without `sub`. Clients cannot set it (PROTOCOL.md §5).
   */
  user?: string;
  /** Server time at which it was stored, ms since epoch. */
  ts?: number;
}

export interface AckFrame {
  type: 'ack';
  ref: number;
  channel: string;
  id: string;
  offset: number;
  epoch: string;
  /** `true` when this id had been stored before: the original offset is returned. */
  duplicate?: boolean;
}

export interface PresenceEventFrame {
  type: 'presence';
  channel: string;
  event: 'join' | 'leave' | 'update';
  member: PresenceMember;
}

export interface PresenceAckFrame {
  type: 'presence.ok';
  ref: number;
  channel: string;
}

export interface DrainFrame {
  type: 'drain';
  /**
   * Spread the first reconnect attempt uniformly over this window, counted from this
   * frame's arrival. A server that drains many clients in one pass sends each what is
   * left of its window when that client's frame is written (PROTOCOL.md §13).
   */
  reconnectWindowMs: number;
  /**
   * This client's share of the window, `[fromMs, toMs]` with `0 ≤ fromMs ≤ toMs ≤
   * reconnectWindowMs`, counted from this frame's arrival: the attempt is uniform inside
   * it instead of over the whole window. A server hands consecutive slots to consecutive
   * clients so that the fleet's attempts arrive evenly rather than with a random
   * spread's clumps. Optional (left out when the client's slot has already passed).
   */
  reconnectSlotMs?: [number, number];
  reason?: string;
}

/** The answer to an accepted {@link AuthFrame}: every later request is judged by the new token. */
export interface AuthedFrame {
  type: 'authed';
  /** The `ref` of the `auth` frame. */
  ref: number;
  /**
   * Milliseconds until the new token expires (its `exp` − now); the 4101 close moves
   * there. Absent on an open server, which checks no token.
   */
  tokenExpiresInMs?: number;
}

export interface ErrorFrame {
  type: 'error';
  code: ErrorCodeName;
  message: string;
  /** The `ref` of the request this answers, if any. */
  ref?: number;
  channel?: string;
  /** For RATE_LIMITED / BROKER_UNAVAILABLE: when a retry may succeed. */
  retryAfterMs?: number;
}

/** Machine-readable error codes carried by `error` frames. */
export type ErrorCodeName =
  | 'BAD_FRAME'
  | 'UNKNOWN_TYPE'
  | 'BAD_FIELD'
  | 'NOT_READY'
  | 'UNSUPPORTED_VERSION'
  | 'FORBIDDEN'
  /** An `auth` frame's token is malformed, badly signed, not yet valid or names another `sub`. */
  | 'BAD_TOKEN'
  /** An `auth` frame's token has expired. */
  | 'TOKEN_EXPIRED'
  | 'TOO_MANY_CHANNELS'
  /** A `presence.enter` of a new member on a channel holding the most members the server allows (final). */
  | 'PRESENCE_FULL'
  | 'NOT_SUBSCRIBED'
  | 'RATE_LIMITED'
  | 'FRAME_TOO_LARGE'
  | 'BROKER_UNAVAILABLE'
  | 'INTERNAL';

export type ClientFrame =
  | HelloFrame
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | PresenceEnterFrame
  | PresenceLeaveFrame
  | AuthFrame
  | PingFrame
  | PongFrame;

export type ServerFrame =
  | WelcomeFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | MessageFrame
  | AckFrame
  | PresenceEventFrame
  | PresenceAckFrame
  | DrainFrame
  | AuthedFrame
  | ErrorFrame
  | PingFrame
  | PongFrame;
