// Just enough of Centrifugo's JSON client protocol (newline-delimited commands and
// replies) for centrifuge-js to connect and subscribe: connect → connect reply,
// subscribe → subscribe reply, then `onSubscribed(ws)`; pings every 25 s
// (empty reply) like Centrifugo does. Loopback only.
import { WebSocketServer } from 'ws';

export function startCentrifugeServer({ onSubscribed } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  let clients = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      for (const line of data.toString().trim().split('\n')) {
        if (!line) continue;
        const cmd = JSON.parse(line);
        if (cmd.connect) {
          ws.send(JSON.stringify({ id: cmd.id, connect: { client: `c${++clients}`, version: 'bench', ping: 25, pong: false } }));
        } else if (cmd.subscribe) {
          ws.send(JSON.stringify({ id: cmd.id, subscribe: {} }), () => onSubscribed?.(ws, cmd.subscribe.channel));
        }
      }
    });
  });
  const pinger = setInterval(() => {
    for (const ws of wss.clients) ws.send('{}');
  }, 25_000);
  pinger.unref();
  return new Promise((resolve) => wss.on('listening', () => resolve({ port: wss.address().port, wss })));
}

/** A publication push for `channel` carrying `json` (already serialised) at `offset`. */
export const centrifugePush = (channel, json, offset) => `{"push":{"channel":"${channel}","pub":{"data":${json},"offset":${offset}}}}`;
