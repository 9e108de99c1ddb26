import type { Redis } from 'ioredis';
import { toBrokerError } from './redisErrors';

type Handler = (payload: string) => void;

/** Outcomes of SUBSCRIBE calls, for the broker's status. */
export interface SubscribeObserver {
  answered(): void;
  failed(err: Error): void;
}

/**
 * The node's one pub/sub connection, shared by every channel's live feed and
 * presence events. Subscriptions are re-established by us (not by ioredis) after a
 * reconnect so that `onResubscribed` runs only once they are all in place: anything
 * published after that point arrives as a notification, anything before it is found
 * by the catch-up reads that `onResubscribed` triggers.
 */
export class RedisSubscriptions {
  private readonly handlers = new Map<string, Handler>();

  constructor(
    private readonly sub: Redis,
    private readonly onResubscribed: () => void,
    private readonly onError: (err: Error) => void,
    private readonly observer?: SubscribeObserver,
  ) {
    sub.on('message', (name: string, payload: string) => this.handlers.get(name)?.(payload));
    sub.on('ready', () => void this.resubscribe());
  }

  /** Pub/sub channels wanted (subscribed, or to be re-subscribed on the next connection). */
  get size(): number {
    return this.handlers.size;
  }

  /** Subscribes `name`; resolves once Redis confirmed, so later publishes reach `handler`. */
  async add(name: string, handler: Handler): Promise<void> {
    this.handlers.set(name, handler);
    try {
      await this.sub.subscribe(name);
    } catch (err) {
      if (this.handlers.get(name) === handler) this.handlers.delete(name);
      const mapped = toBrokerError(err, 'subscribe');
      this.observer?.failed(mapped);
      throw mapped;
    }
    this.observer?.answered();
  }

  async remove(name: string): Promise<void> {
    if (!this.handlers.delete(name)) return;
    // A failed UNSUBSCRIBE (Redis down) needs no retry: the next connection only
    // subscribes what is still in `handlers`.
    await this.sub.unsubscribe(name).catch(() => undefined);
  }

  private async resubscribe(): Promise<void> {
    const names = [...this.handlers.keys()];
    try {
      if (names.length > 0) await this.sub.subscribe(...names);
    } catch (err) {
      // The connection dropped again; its next 'ready' retries.
      const mapped = toBrokerError(err, 'resubscribe');
      this.observer?.failed(mapped);
      this.onError(mapped);
      return;
    }
    this.onResubscribed();
  }
}
