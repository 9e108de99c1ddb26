/** Counters returned by `server.stats()`. */
export interface ServerStats {
  /** Open WebSocket connections (/v1 and /echo). */
  connections: number;
  /** Upgrades admitted by admission control. */
  handshakesAccepted: number;
  /** Upgrades refused with HTTP 503 (admission control, `maxConnections` or draining). */
  handshakesRefused: number;
  /** Frames received on /v1, by frame type (`invalid` for frames that failed to parse or had no known type). */
  framesIn: Record<string, number>;
  /** Frames sent on /v1, by frame type. */
  framesOut: Record<string, number>;
  /**
   * Channels this server is attached to for local subscribers (one live-feed listener
   * each). 0 once every subscriber left, unsubscribed or was closed and its cleanup ran:
   * a leak here keeps a broker listener, and its fan-out, for good.
   */
  channels: number;
  /**
   * Presence entries of closed connections waiting for their grace period to end (or their
   * removal to be answered). 0 once every grace period has run out.
   */
  presencePending: number;
  /**
   * Bytes of replay pages read from the broker and not yet written to a socket, all
   * connections together: what replays hold besides the socket queues. Each page stops at
   * 1 MiB of stored data (REPLAY_PAGE_BYTES, Redis broker), and a connection holds one page
   * at a time however many channels it replays (Session.replayTurn).
   */
  replayBytes: number;
  /**
   * Bytes of replay pages this node holds against `maxReplayBytes`, all connections
   * together: pages read and not yet handed to the kernel (still to be written, or queued on
   * a socket), and the page-sized reservation of each read in progress.
   */
  replayHeldBytes: number;
  /** Replay page reads waiting for `maxReplayBytes` to have room (their connections' replays pause meanwhile). */
  replayWaiting: number;
  /**
   * Connections closed with 1013 because they held the most of a full `maxReplayBytes`
   * without handing any of it to the kernel for `replayStallMs` while other replays waited
   * as long (clients that do not read their replays).
   */
  replayEvictions: number;
  /**
   * Connections the listening socket failed to accept (EMFILE/ENFILE: out of file
   * descriptors), as Node reports them. libuv usually hides these: it accepts and closes such
   * connections itself with no report at all, so 0 here does not prove none were lost
   * (README: "Out of file descriptors").
   */
  acceptErrors: number;
  /**
   * Requests refused `FORBIDDEN` because the token does not allow them (its grants), by
   * transport: `ws`, `error` frames on /v1 (a `sub`, `pub` or `presence.enter`; also counted
   * in `framesOut.error`); `http`, `POST /v1/publish` and `GET /v1/history` answered 403.
   * Refusals for another reason (an origin not allowed, a presence `clientId` held by
   * another user) are not counted here.
   */
  forbidden: { ws: number; http: number };
}

/** Gauges read off the server's structures at snapshot time. */
export interface LiveGauges {
  channels: number;
  presencePending: number;
  replayHeldBytes?: number;
  replayWaiting?: number;
  replayEvictions?: number;
}

export class StatsCounter {
  connections = 0;
  handshakesAccepted = 0;
  handshakesRefused = 0;
  /** See {@link ServerStats.replayBytes}. */
  replayBytes = 0;
  /** See {@link ServerStats.acceptErrors}. */
  acceptErrors = 0;
  /** See {@link ServerStats.forbidden}. */
  readonly forbidden = { ws: 0, http: 0 };
  readonly framesIn: Record<string, number> = Object.create(null);
  readonly framesOut: Record<string, number> = Object.create(null);

  countIn(type: string, n = 1): void {
    this.framesIn[type] = (this.framesIn[type] ?? 0) + n;
  }

  countOut(type: string, n = 1): void {
    this.framesOut[type] = (this.framesOut[type] ?? 0) + n;
  }

  /** `live`: the gauges read off the server's structures at snapshot time. */
  snapshot(live: LiveGauges = { channels: 0, presencePending: 0 }): ServerStats {
    return {
      connections: this.connections,
      handshakesAccepted: this.handshakesAccepted,
      handshakesRefused: this.handshakesRefused,
      framesIn: { ...this.framesIn },
      framesOut: { ...this.framesOut },
      channels: live.channels,
      presencePending: live.presencePending,
      replayBytes: this.replayBytes,
      replayHeldBytes: live.replayHeldBytes ?? 0,
      replayWaiting: live.replayWaiting ?? 0,
      replayEvictions: live.replayEvictions ?? 0,
      acceptErrors: this.acceptErrors,
      forbidden: { ...this.forbidden },
    };
  }
}
