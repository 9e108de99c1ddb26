// A tiny server that speaks just enough of the Lifeline protocol (PROTOCOL.md §3,
// §5, §6, §7) for client-side benchmarks: hello→welcome, sub→subscribed, pub→ack,
// ping→pong. It keeps no log and no state beyond counters, so its cost is flat and
// the client under test dominates. Loopback only.
import { WebSocketServer } from 'ws';
import { BENCH_EPOCH } from './frames.mjs';

const limits = { maxFrameBytes: 65536, maxChannels: 100, publishPerSec: 1e9, publishBurst: 1e9 };

/**
 * Starts the server on 127.0.0.1:0. `onSubscribed(ws, channel)` runs after the
 * `subscribed` reply is written; `onText(ws, text)` sees frames that are not JSON
 * protocol frames (raw clients send "go"). Pings every `heartbeatMs` when set.
 */
export function startProtocolServer({ onSubscribed, onText, heartbeatMs = 15_000, sendPings = false } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: true });
  let sessions = 0;
  let nextOffset = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text[0] !== '{') {
        onText?.(ws, text);
        return;
      }
      const f = JSON.parse(text);
      switch (f.type) {
        case 'hello':
          ws.send(JSON.stringify({ type: 'welcome', v: 1, session: `s_${++sessions}`, heartbeatMs, limits, serverTime: Date.now() }));
          break;
        case 'sub':
          ws.send(JSON.stringify({ type: 'subscribed', ref: f.ref, channel: f.channel, epoch: BENCH_EPOCH, offset: 0 }), () => onSubscribed?.(ws, f.channel));
          break;
        case 'unsub':
          ws.send(JSON.stringify({ type: 'unsubscribed', ref: f.ref, channel: f.channel }));
          break;
        case 'pub':
          ws.send(JSON.stringify({ type: 'ack', ref: f.ref, channel: f.channel, id: f.id, offset: ++nextOffset, epoch: BENCH_EPOCH }));
          break;
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong', t: f.t }));
          break;
        default:
          onText?.(ws, text);
      }
    });
  });
  let timer;
  if (sendPings) {
    timer = setInterval(() => {
      const frame = JSON.stringify({ type: 'ping', t: Date.now() });
      for (const ws of wss.clients) ws.send(frame);
    }, heartbeatMs);
    timer.unref();
  }
  return new Promise((resolve) => {
    wss.on('listening', () => {
      const { port } = wss.address();
      resolve({
        port,
        wss,
        close: () => {
          clearInterval(timer);
          for (const ws of wss.clients) ws.terminate();
          return new Promise((r) => wss.close(r));
        },
      });
    });
  });
}
