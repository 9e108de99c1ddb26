import type { ServerContext } from './context';

/**
 * How long /healthz and /metrics wait on the broker's health check before calling it
 * unavailable: a stalled Redis must not hold a probe or a scrape until the balancer's or
 * Prometheus' own timeout (a scrape that times out loses every other series too).
 */
export const BROKER_CHECK_MS = 2000;

/**
 * The broker's health check, false when it throws, rejects or has not answered within
 * {@link BROKER_CHECK_MS} (on the server's clock). The timer is cleared once it answers
 * (one left armed per call kept a timer alive for 2 s per probe).
 */
export function brokerAnswers(ctx: ServerContext): Promise<boolean> {
  const { clock } = ctx.opts;
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), BROKER_CHECK_MS);
    const settle = (ok: boolean): void => {
      clock.clearTimeout(timer);
      resolve(ok);
    };
    let check: Promise<boolean>;
    try {
      check = ctx.broker.healthy();
    } catch {
      return settle(false);
    }
    check.then((ok) => settle(ok === true), () => settle(false));
  });
}
