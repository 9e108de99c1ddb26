import type { Socket } from 'node:net';
import { Lane, type LaneShape } from './lane';

/**
 * One proxied connection: the accepted client socket and the socket to the target,
 * joined by two lanes. A clean close (FIN) on one side is passed on as a half-close,
 * after the bytes that side sent have left the lane's latency / bandwidth queue; an
 * error or reset on either side destroys the other at once. Once the link is
 * blackholed, each side only learns of trouble on its own (timeouts).
 */
export class Link {
  readonly up: Lane;
  readonly down: Lane;
  private closed = false;

  constructor(
    readonly client: Socket,
    readonly server: Socket,
    shape: () => LaneShape,
    private readonly onClose: (link: Link) => void,
    highWaterMark?: number,
  ) {
    this.up = new Lane(client, server, shape, highWaterMark);
    this.down = new Lane(server, client, shape, highWaterMark);
    // Without this Node would answer a peer's FIN with its own at once and then close,
    // and the close would take the other side down before its queue had flushed.
    client.allowHalfOpen = true;
    server.allowHalfOpen = true;
    const ended = (from: Socket, lane: Lane) => () => {
      // A blackholed link forwards nothing, FIN included; the side that closed is let
      // go as Node would have done (that peer is done with the connection anyway).
      if (this.blackholed) from.end();
      else lane.end();
    };
    client.on('end', ended(client, this.up));
    server.on('end', ended(server, this.down));
    const close = (from: Socket, other: Socket) => (hadError: boolean) => {
      if (this.blackholed || (!hadError && from.readableEnded)) {
        // Half-closes travel through the lanes; the link is done when both sides are.
        if (client.destroyed && server.destroyed) this.finish();
        return;
      }
      other.destroy();
      from.destroy();
      this.finish();
    };
    client.on('close', close(client, server));
    server.on('close', close(server, client));
    // Errors surface as 'close' right after; without a listener they would throw.
    client.on('error', () => {});
    server.on('error', () => {});
  }

  get blackholed(): boolean {
    return this.up.blackholed;
  }

  /** Resets both sockets at once: both peers see the connection die (RST). */
  cut(): void {
    reset(this.client);
    reset(this.server);
    this.finish();
  }

  /** The bandwidth changed: both lanes send what they hold at the new rate. */
  reshape(): void {
    this.up.reshape();
    this.down.reshape();
  }

  /** Stops forwarding both ways without closing either side. */
  blackhole(): void {
    this.up.blackhole();
    this.down.blackhole();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.up.dispose();
    this.down.dispose();
    this.onClose(this);
  }
}

/** Closes a socket with an RST where Node can (its peer sees the connection die), else destroys it. */
export function reset(s: Socket): void {
  if (typeof s.resetAndDestroy === 'function' && !s.destroyed && s.readyState !== 'opening') s.resetAndDestroy();
  else s.destroy();
}
