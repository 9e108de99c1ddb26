// Fan-out publisher (child process). `node publisher.mjs <url> <messages>` publishes
// `messages` messages to channel "fan" over one raw protocol connection, at most 32
// unacknowledged at a time, and prints RESULT {startAt, acked}.
import { emitResult } from '../lib/child.mjs';
import { lifelineMessage } from '../lib/frames.mjs';
import { rawHandshake } from '../lib/raw-protocol.mjs';

const [url, messagesArg] = process.argv.slice(2);
const messages = Number(messagesArg);
const WINDOW = 32;
const data = JSON.parse(lifelineMessage(1)).data;

const ws = await rawHandshake(url);
let sent = 0;
let acked = 0;
const startAt = Date.now();
await new Promise((resolve) => {
  const send = () => {
    while (sent < messages && sent - acked < WINDOW) {
      sent++;
      ws.send(JSON.stringify({ type: 'pub', ref: sent, channel: 'fan', data, id: `f${sent}` }));
    }
  };
  ws.on('message', (d) => {
    if (d.indexOf('"ack"') === -1) return;
    if (++acked === messages) resolve();
    else send();
  });
  send();
});
ws.terminate();
emitResult({ startAt, acked });
