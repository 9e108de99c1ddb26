// Memory per idle client (child process, run with --expose-gc).
// `node --expose-gc clients.mjs <kind> <url> <count>` loads the SDK, measures the
// heap after GC, connects `count` clients (in batches) each subscribed to one
// channel, waits until all are subscribed and idle, GCs again and prints the
// per-client heap and RSS growth.
import WS from 'ws';
import { emitResult, waitFor } from '../lib/child.mjs';

const [kind, url, countArg] = process.argv.slice(2);
const count = Number(countArg);
const BATCH = 250;
const subFrame = JSON.stringify({ type: 'sub', ref: 1, channel: 'room' });

async function settledMemory() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, external: m.external };
}

/** Per kind: `connect()` starts one client and returns `isReady()`. */
async function factory() {
  switch (kind) {
    case 'raw-ws':
      return () => {
        const ws = new WS(url);
        let ready = false;
        ws.on('open', () => ws.send(subFrame));
        ws.on('message', () => (ready = true));
        return () => ready;
      };
    case 'lifeline': {
      const { createClient } = await import('@lifeline/core');
      return () => {
        const client = createClient({ url: `${url}/v1`, WebSocket: WS });
        const channel = client.channel('room');
        channel.subscribe(() => {});
        return () => channel.getSnapshot().state === 'subscribed';
      };
    }
    case 'socket.io-client': {
      const { io } = await import('socket.io-client');
      return () => {
        const socket = io(url, { transports: ['websocket'], forceNew: true });
        let ready = false;
        socket.on('connect', () => socket.emit('sub', 'room', () => (ready = true)));
        socket.on('msg', () => {});
        return () => ready;
      };
    }
    case 'partysocket':
    case 'reconnecting-websocket': {
      const mod = kind === 'partysocket' ? await import('partysocket/ws') : await import('reconnecting-websocket');
      const ReconnectingWebSocket = mod.default;
      return () => {
        const ws = new ReconnectingWebSocket(url, [], { WebSocket: WS });
        let ready = false;
        ws.addEventListener('open', () => ws.send(subFrame));
        ws.addEventListener('message', () => (ready = true));
        return () => ready;
      };
    }
    case 'centrifuge': {
      const { Centrifuge } = await import('centrifuge');
      return () => {
        const client = new Centrifuge(`${url}/connection/websocket`, { websocket: WS });
        const sub = client.newSubscription('room');
        let ready = false;
        sub.on('subscribed', () => (ready = true));
        sub.on('publication', () => {});
        sub.subscribe();
        client.connect();
        return () => ready;
      };
    }
    default:
      throw new Error(`unknown client kind ${kind}`);
  }
}

const connect = await factory();
// Warm the code paths with one client so module-level lazy state is in the baseline.
const warm = connect();
await waitFor(warm, 20_000, 'the warm-up client');
const before = await settledMemory();
const ready = [];
for (let i = 0; i < count; i += BATCH) {
  const batch = [];
  for (let j = i; j < Math.min(count, i + BATCH); j++) batch.push(connect());
  await waitFor(() => batch.every((r) => r()), 60_000, `clients ${i}..${i + batch.length} to subscribe`);
  ready.push(...batch);
}
await new Promise((r) => setTimeout(r, 500));
const after = await settledMemory();
emitResult({
  kind,
  clients: count,
  heapKbPerClient: (after.heap - before.heap) / count / 1024,
  rssKbPerClient: (after.rss - before.rss) / count / 1024,
  externalKbPerClient: (after.external - before.external) / count / 1024,
  allReady: ready.every((r) => r()),
});
