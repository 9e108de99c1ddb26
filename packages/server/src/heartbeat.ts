import type { ServerContext } from './context';
import { presenceEntry } from './session/presenceOps';

/**
 * Every `heartbeatMs`: terminate open sessions silent for two intervals (no close
 * handshake: the peer is presumed gone), ping the others, and refresh their presence
 * entries' TTL. Returns a stop function.
 */
export function startHeartbeat(ctx: ServerContext): () => void {
  const { clock, heartbeatMs } = ctx.opts;
  let handle: unknown;
  let stopped = false;

  const tick = (): void => {
    const now = clock.now();
    for (const s of ctx.sessions) {
      if (s.state !== 'open' || s.stalled) continue;
      if (now - s.lastSeen >= 2 * heartbeatMs) {
        ctx.opts.logger.info('heartbeat timeout: terminating', { session: s.id });
        s.terminate();
        continue;
      }
      s.send({ type: 'ping', t: now });
      for (const [channel, info] of s.presence) {
        ctx.broker.presenceSet(channel, presenceEntry(s, info), ctx.presenceTtlMs).catch(() => undefined);
      }
    }
    if (!stopped) handle = clock.setTimeout(tick, heartbeatMs);
  };

  handle = clock.setTimeout(tick, heartbeatMs);
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
