// Receive-throughput client (child process). `node client.mjs <kind> <url> <count> <warmup>`
// Receives `count` messages, starts the clock and process.cpuUsage() at message
// `warmup` (JIT warm), stops at the last one, and prints RESULT. Every kind calls
// the same handler with the parsed message object.
import WS from 'ws';
import { emitResult } from '../lib/child.mjs';
import { BENCH_CHANNEL } from '../lib/frames.mjs';

const [kind, url, countArg, warmupArg, maxMsArg] = process.argv.slice(2);
const count = Number(countArg);
const warmup = Number(warmupArg);
const maxMs = Number(maxMsArg ?? 30_000);

let received = 0;
let outOfOrder = 0;
let t0 = 0;
let cpu0;
let stop = () => {};

function finish(timedOut) {
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const measured = received - warmup;
  emitResult({
    kind,
    received,
    outOfOrder,
    timedOut,
    msgsPerSec: measured > 0 ? measured / ((t1 - t0) / 1000) : 0,
    cpuUsPerMsg: measured > 0 ? (cpu.user + cpu.system) / measured : NaN,
    // Share of the wall time the client was on a CPU: well below 1 means it was
    // waiting (descheduled by other load, or starved by the server) rather than busy.
    cpuShare: measured > 0 ? (cpu.user + cpu.system) / 1000 / (t1 - t0) : NaN,
  });
  stop();
}

function onMessage(m) {
  received++;
  if (m.offset !== received) outOfOrder++;
  if (received === warmup) {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
  } else if (received === count) {
    finish(false);
  }
}

setTimeout(() => finish(true), maxMs).unref();

switch (kind) {
  case 'raw-ws': {
    const ws = new WS(url);
    ws.on('open', () => ws.send('go'));
    ws.on('message', (data) => onMessage(JSON.parse(data)));
    stop = () => ws.terminate();
    break;
  }
  case 'lifeline': {
    const { createClient } = await import('@lifeline/core');
    const client = createClient({ url: `${url}/v1`, WebSocket: WS });
    // Offset tracking and dedupe are always on in core; the handler sees each msg once.
    client.channel(BENCH_CHANNEL).subscribe((msg) => onMessage(msg));
    stop = () => client.close();
    break;
  }
  case 'socket.io-client': {
    const { io } = await import('socket.io-client');
    const socket = io(url, { transports: ['websocket'], forceNew: true });
    socket.on('connect', () => socket.emit('go'));
    socket.on('msg', (m) => onMessage(m));
    stop = () => socket.close();
    break;
  }
  case 'partysocket': {
    const { default: ReconnectingWebSocket } = await import('partysocket/ws');
    const ws = new ReconnectingWebSocket(url, [], { WebSocket: WS });
    ws.addEventListener('open', () => ws.send('go'));
    ws.addEventListener('message', (e) => onMessage(JSON.parse(e.data)));
    stop = () => ws.close();
    break;
  }
  case 'reconnecting-websocket': {
    const { default: ReconnectingWebSocket } = await import('reconnecting-websocket');
    const ws = new ReconnectingWebSocket(url, [], { WebSocket: WS });
    ws.addEventListener('open', () => ws.send('go'));
    ws.addEventListener('message', (e) => onMessage(JSON.parse(e.data)));
    stop = () => ws.close();
    break;
  }
  case 'centrifuge': {
    const { Centrifuge } = await import('centrifuge');
    const client = new Centrifuge(`${url}/connection/websocket`, { websocket: WS });
    const sub = client.newSubscription(BENCH_CHANNEL);
    sub.on('publication', (ctx) => onMessage(ctx.data));
    sub.subscribe();
    client.connect();
    stop = () => client.disconnect();
    break;
  }
  default:
    console.error(`unknown client kind ${kind}`);
    process.exit(2);
}
