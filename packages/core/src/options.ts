
/** Defaults of {@link HeartbeatOptions} that do not depend on the server. */
export const DEFAULT_HEARTBEAT = {
  /** Used before the server announced its interval. */
  timeoutMs: 31_000,
  checkIntervalMs: 1000,
  probeTimeoutMs: 5000,
  jumpThresholdMs: 5000,
};

export function randomId(random: () => number): string {
  return Math.floor(random() * 2 ** 48).toString(36);
}
