// Fan-out subscribers (child process). `node subscribers.mjs <url> <count> <messages> <maxMs>`
// opens `count` raw protocol connections subscribed to channel "fan", prints READY,
// then prints RESULT {doneAt} once every connection has received `messages` msg
// frames (or `maxMs` passed). Frames are counted, not parsed, to keep the
// subscribers' own CPU cost low.
import { emitResult } from '../lib/child.mjs';
import { rawHandshake, rawSubscribe } from '../lib/raw-protocol.mjs';

const [url, countArg, messagesArg, maxMsArg] = process.argv.slice(2);
const count = Number(countArg);
const messages = Number(messagesArg);
const maxMs = Number(maxMsArg);
const BATCH = 200;
const MSG = Buffer.from('"type":"msg"');

let complete = 0;
let delivered = 0;
const sockets = [];
for (let i = 0; i < count; i += BATCH) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(BATCH, count - i) }, async () => {
      const ws = await rawHandshake(url);
      await rawSubscribe(ws, 'fan');
      return ws;
    }),
  );
  sockets.push(...batch);
}

function finish(timedOut) {
  emitResult({ doneAt: Date.now(), delivered, complete, timedOut });
  for (const ws of sockets) ws.terminate();
}

for (const ws of sockets) {
  let n = 0;
  ws.on('message', (data) => {
    if (data.indexOf(MSG) === -1) return;
    delivered++;
    if (++n === messages && ++complete === count) finish(false);
  });
}
console.log(`READY ${JSON.stringify({ subscribers: sockets.length })}`);
setTimeout(() => finish(true), maxMs).unref();
