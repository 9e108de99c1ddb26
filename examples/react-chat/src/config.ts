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
    retryMs: params.has('retryMs') ? Number(params.get('retryMs')) : null,
  };
}
