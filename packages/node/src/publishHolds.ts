import type { LifelineClient } from '@lifeline/core';
import { LifelineNodeError } from './errors';
import type { ProcessKeepAlive } from './processLiveness';

/** Which rejections of a held promise count as "failed by a close". */
export type ClosedTest = (error: unknown) => boolean;

/** A rejection of core's outbox by `close()` (core's own error). */
export const failedByCoreClose: ClosedTest = (error) => (error as { code?: unknown } | null)?.code === 'CLIENT_CLOSED';

/** A Node channel publish refused before it reached core because the client closed meanwhile. */
export const failedByNodeClose: ClosedTest = (error) => error instanceof LifelineNodeError && error.code === 'CLIENT_CLOSED';

/**
 * Keeps the process alive while a publish is unsettled: every timer is unref'd, so
 * with the server down nothing else holds the event loop, and a script awaiting
 * `publish()` used to exit with the message still in the outbox. Also counts the
 * publishes a close failed, so a drain can tell that it was cut short.
 */
export class PublishHolds {
  private closedFailures = 0;

  /** `holding()` false (client closed): nothing is held, a closed client lets the process exit. */
  constructor(
    private readonly keepAlive: ProcessKeepAlive,
    private readonly holding: () => boolean,
  ) {}

  /** Publishes failed with `CLIENT_CLOSED` so far (each counted once, by the layer that failed it). */
  get failedByClose(): number {
    return this.closedFailures;
  }

  /**
   * Holds the process until `promise` settles. Returns a new promise settling the same
   * way: a rejection nobody handles still surfaces as an unhandled rejection.
   */
  hold<T>(promise: Promise<T>, closed: ClosedTest): Promise<T> {
    const release = this.holding() ? this.keepAlive.acquire() : null;
    return promise.then(
      (value) => {
        release?.();
        return value;
      },
      (error: unknown) => {
        release?.();
        if (closed(error)) this.closedFailures += 1;
        throw error;
      },
    );
  }

  /**
   * Routes every publish of core's client through hold(): `client.core.publish()` and
   * `client.core.channel(name).publish()` too, since core's channels publish through
   * their client's `publish`.
   */
  wrap(client: LifelineClient): void {
    const publish = client.publish.bind(client);
    client.publish = (channel, data, options) => this.hold(publish(channel, data, options), failedByCoreClose);
  }
}
