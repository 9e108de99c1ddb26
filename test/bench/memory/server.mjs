// Idle-connection server for the memory benchmark (child process).
// `node server.mjs <protocol|socketio|centrifuge>`: the protocol server answers
// hello/sub and pings every 15 s like the reference server; the socket.io server joins
// the room named in a "sub" event and acknowledges it; the centrifuge server answers
// connect/subscribe in Centrifugo's JSON protocol.
import { createServer } from 'node:http';
import { Server as SocketIoServer } from 'socket.io';
import { startProtocolServer } from '../lib/protocol-server.mjs';
import { startCentrifugeServer } from '../lib/centrifuge-server.mjs';

const mode = process.argv[2];
if (mode === 'protocol') {
  const server = await startProtocolServer({ heartbeatMs: 15_000, sendPings: true });
  console.log(`READY ${JSON.stringify({ url: `ws://127.0.0.1:${server.port}` })}`);
} else if (mode === 'socketio') {
  const http = createServer();
  const io = new SocketIoServer(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  io.on('connection', (socket) => {
    socket.on('sub', (room, ack) => {
      socket.join(room);
      ack?.();
    });
  });
  http.listen(0, '127.0.0.1', () => console.log(`READY ${JSON.stringify({ url: `http://127.0.0.1:${http.address().port}` })}`));
} else if (mode === 'centrifuge') {
  const server = await startCentrifugeServer();
  console.log(`READY ${JSON.stringify({ url: `ws://127.0.0.1:${server.port}` })}`);
} else {
  console.error('usage: server.mjs <protocol|socketio|centrifuge>');
  process.exit(2);
}
