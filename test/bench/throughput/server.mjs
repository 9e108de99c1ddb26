// Receive-throughput server (child process). `node server.mjs <protocol|socketio> <count>`
// pre-builds `count` 128-byte messages as WebSocket wire bytes, prints READY, and on
// each client's start signal writes them straight to the TCP socket:
//  - protocol: Lifeline handshake (welcome, subscribed) then the msg frames; a raw
//    client sends the text "go" instead and gets the same frames.
//  - socketio: a socket.io server; the client emits "go" and gets the same JSON as
//    socket.io event packets on the engine.io websocket.
//  - centrifuge: Centrifugo's JSON protocol; after subscribe the same JSON arrives as
//    publication pushes.
import { createServer } from 'node:http';
import { Server as SocketIoServer } from 'socket.io';
import { BENCH_CHANNEL, blast, buildFrames, lifelineMessage, socketIoMessage } from '../lib/frames.mjs';
import { startProtocolServer } from '../lib/protocol-server.mjs';
import { centrifugePush, startCentrifugeServer } from '../lib/centrifuge-server.mjs';

const [mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!(count > 0) || !['protocol', 'socketio', 'centrifuge'].includes(mode)) {
  console.error('usage: server.mjs <protocol|socketio|centrifuge> <count>');
  process.exit(2);
}

if (mode === 'protocol') {
  const wire = buildFrames(1, count, lifelineMessage);
  const start = (ws) => blast(ws._socket, wire);
  const server = await startProtocolServer({
    heartbeatMs: 60_000,
    onSubscribed: (ws) => start(ws),
    onText: (ws, text) => text === 'go' && start(ws),
  });
  console.log(`READY ${JSON.stringify({ url: `ws://127.0.0.1:${server.port}` })}`);
} else if (mode === 'centrifuge') {
  const wire = buildFrames(1, count, (o) => centrifugePush(BENCH_CHANNEL, lifelineMessage(o), o));
  const server = await startCentrifugeServer({ onSubscribed: (ws) => blast(ws._socket, wire) });
  console.log(`READY ${JSON.stringify({ url: `ws://127.0.0.1:${server.port}` })}`);
} else {
  const wire = buildFrames(1, count, socketIoMessage);
  const http = createServer();
  const io = new SocketIoServer(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  io.on('connection', (socket) => {
    socket.on('go', () => {
      // engine.io's websocket transport wraps a `ws` WebSocket; write below it.
      const tcp = socket.conn.transport.socket._socket;
      blast(tcp, wire);
    });
  });
  http.listen(0, '127.0.0.1', () => {
    console.log(`READY ${JSON.stringify({ url: `http://127.0.0.1:${http.address().port}` })}`);
  });
}
