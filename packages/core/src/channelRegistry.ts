import { createChannel, type ChannelHost, type ChannelImpl } from './channel';
import { LifelineError } from './errors';
import type { ChannelOptions } from './types';
import { CHANNEL_NAME } from './utf8';

/**
 * The desired set: every channel ever asked for, one object per name. Channels with
 * handlers are re-subscribed (and presence re-entered) on every connect; nothing about
 * subscriptions is ever replayed from a queue.
 */
export interface ChannelRegistry {
  /** The channel named `name`, created on first use (options apply then). */
  get(name: string, options?: ChannelOptions): ChannelImpl<any>;
  /** The channel named `name` if it exists (routing of inbound frames). */
  find(name: unknown): ChannelImpl<any> | undefined;
  connected(): void;
  /** The connection is gone; with `error` the client closed and pending presence calls fail. */
  disconnected(error?: LifelineError): void;
}

export function createChannelRegistry(host: ChannelHost): ChannelRegistry {
  const channels = new Map<string, ChannelImpl<any>>();
  return {
    get(name, options = {}) {
      let ch = channels.get(name);
      if (!ch) {
        if (!CHANNEL_NAME.test(name)) throw new LifelineError('BAD_ARGUMENT', `invalid channel name ${JSON.stringify(name)}`);
        channels.set(name, (ch = createChannel(name, options, host)));
      }
      return ch;
    },
    find: (name) => channels.get(name as string),
    connected() {
      for (const ch of channels.values()) ch.connected();
    },
    disconnected(error) {
      for (const ch of channels.values()) ch.disconnected(error);
    },
  };
}
