/** Page settings from the query string: ?server=ws://host:port&room=lobby&name=ada */
export interface ChatConfig {
  /** Base URL of the reference server; the client connects to `${server}/v1`. */
  server: string;
  room: string;
  name: string;
}

export function readConfig(search: string, fallbackHost: string): ChatConfig {
  const params = new URLSearchParams(search);
  return {
    server: params.get('server') ?? `ws://${fallbackHost}:8080`,
    room: params.get('room') ?? 'lobby',
    name: params.get('name') ?? `guest-${Math.random().toString(36).slice(2, 6)}`,
  };
}
