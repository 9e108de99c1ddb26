
/** Defaults of {@link HeartbeatOptions} that do not depend on the server. */
export const DEFAULT_HEARTBEAT = {
  /**
   * What the timeout comes to with the reference server's 15 s heartbeat (15 000 × 2 +
   * 1000). The client itself uses `heartbeat.timeoutMs` when given, else the welcome's
   * `heartbeatMs × 2 + 1000`: liveness is checked only after a welcome (before it, the
   * handshake timeout applies).
   */
  timeoutMs: 31_000,
  checkIntervalMs: 1000,
  probeTimeoutMs: 5000,
  jumpThresholdMs: 5000,
};

export function randomId(random: () => number): string {
  return Math.floor(random() * 2 ** 48).toString(36);
}
