/** Page settings from the query string: ?server=ws://host:port&room=lobby&name=ada */
export interface ChatConfig {
  /** Base URL of the reference server; the client connects to `${server}/v1`. */
  server: string;
  room: string;
  name: string;
  /** Fixed reconnect delay (?retryMs=3000), for showing or testing an outage; default: quick jittered retries. */
  retryMs: number | null;
}

export function readConfig(search: string, fallbackHost: string): ChatConfig {
  const params = new URLSearchParams(search);
  return {
    server: params.get('server') ?? `ws://${fallbackHost}:8080`,
    room: params.get('room') ?? 'lobby',
    name: params.get('name') ?? `guest-${Math.random().toString(36).slice(2, 6)}`,
    retryMs: delayParam(params.get('retryMs')),
  };
}

/**
 * A delay in ms from the query string, or null (quick jittered retries) when absent or
 * not a number > 0: `?retryMs=abc` must not become a NaN (or 0) delay, which retries at once, in
 * a loop, while the server is down.
 */
function delayParam(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
