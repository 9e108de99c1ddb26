import type { Socket } from 'node:net';
import { Lane, type LaneShape } from './lane';

/**
 * One proxied connection: the accepted client socket and the socket to the target,
 * joined by two lanes. A close on either side closes the other, except once the
 * link is blackholed: then each side only learns of trouble on its own (timeouts).
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
  ) {
    this.up = new Lane(client, server, shape);
    this.down = new Lane(server, client, shape);
    const end = (from: Socket, other: Socket) => () => {
      if (this.blackholed) {
        if (client.destroyed && server.destroyed) this.finish();
        return;
      }
      other.destroy();
      from.destroy();
      this.finish();
    };
    client.on('close', end(client, server));
    server.on('close', end(server, client));
    // Errors surface as 'close' right after; without a listener they would throw.
    client.on('error', () => {});
    server.on('error', () => {});
  }

  get blackholed(): boolean {
    return this.up.blackholed;
  }

  /** Resets both sockets at once: both peers see the connection die (RST). */
  cut(): void {
    for (const s of [this.client, this.server]) {
      if (typeof s.resetAndDestroy === 'function' && !s.destroyed && s.readyState !== 'opening') s.resetAndDestroy();
      else s.destroy();
    }
    this.finish();
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
