// Publish round trip against the reference server (child process).
// `node client.mjs <url> <iterations> <maxMs>`; one request in flight at a time.
// The cases are interleaved round by round (echo, raw ack, Lifeline ack, …, in a
// rotating order) so that a noisy neighbour hits every case alike. Prints RESULT
// with every case's latencies in ms:
//  - echo:               raw ws on /echo, send 128 bytes, wait for the echo (floor)
//  - rawAck:             raw ws speaking the protocol by hand, pub → ack
//  - lifelineAck:        channel.publish() until its promise resolves
//  - rawDelivered:       raw publisher → raw subscriber on another socket
//  - lifelineDelivered:  Lifeline publisher → Lifeline subscriber (another client)
import WS from 'ws';
import { emitResult, waitFor } from '../lib/child.mjs';
import { lifelineMessage } from '../lib/frames.mjs';
import { rawHandshake, rawSubscribe } from '../lib/raw-protocol.mjs';

const [url, itersArg, maxMsArg] = process.argv.slice(2);
const iterations = Number(itersArg);
const maxMs = Number(maxMsArg);
const data = JSON.parse(lifelineMessage(1)).data;
const echoFrame = lifelineMessage(1);

function nextMessage(ws, match) {
  return new Promise((resolve) => {
    const on = (d) => {
      if (!match(d)) return;
      ws.off('message', on);
      resolve(d);
    };
    ws.on('message', on);
  });
}

// ---- set-up: every connection open and subscribed before the first sample
const echo = new WS(`${url}/echo`, { perMessageDeflate: false });
await new Promise((r, j) => echo.once('open', r).once('error', j));
const rawPub = await rawHandshake(url);
const rawSub = await rawHandshake(url);
await rawSubscribe(rawSub, 'rt-raw');

const { createClient } = await import('@lifeline/core');
const a = createClient({ url: `${url}/v1`, WebSocket: WS });
const b = createClient({ url: `${url}/v1`, WebSocket: WS });
const ackChannel = a.channel('rt-ll-ack');
const pubChannel = a.channel('rt-ll');
const subChannel = b.channel('rt-ll');
let waiting = null;
subChannel.subscribe((msg) => {
  if (waiting && msg.id === waiting.id) waiting.resolve();
});
await waitFor(() => subChannel.getSnapshot().state === 'subscribed', 30_000, 'the Lifeline subscriber');

let ref = 10;
const acks = [];
const cases = {
  echo: () => {
    const p = nextMessage(echo, () => true);
    echo.send(echoFrame);
    return p;
  },
  rawAck: () => {
    const r = ++ref;
    const p = nextMessage(rawPub, (d) => JSON.parse(d).ref === r);
    rawPub.send(JSON.stringify({ type: 'pub', ref: r, channel: 'rt-raw-ack', data, id: `a${r}` }));
    return p;
  },
  lifelineAck: () => ackChannel.publish(data),
  rawDelivered: () => {
    const r = ++ref;
    const id = `d${r}`;
    const p = nextMessage(rawSub, (d) => JSON.parse(d).id === id);
    rawPub.send(JSON.stringify({ type: 'pub', ref: r, channel: 'rt-raw', data, id }));
    return p;
  },
  lifelineDelivered: () => {
    const id = `ll-${++ref}`;
    const p = new Promise((resolve) => (waiting = { id, resolve }));
    acks.push(pubChannel.publish(data, { id }));
    return p;
  },
};

// ---- samples: warm-up rounds discarded, then rounds until the count or the time cap
const names = Object.keys(cases);
const results = Object.fromEntries(names.map((n) => [n, []]));
const warm = Math.max(10, Math.floor(iterations / 10));
const end = performance.now() + maxMs * names.length;
for (let round = 0; round < warm + iterations && performance.now() < end; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(round + i) % names.length];
    const t = performance.now();
    await cases[name]();
    if (round >= warm) results[name].push(performance.now() - t);
  }
}

// Delivery can beat the publisher's own ack; wait for every ack before closing.
await Promise.all(acks);
await Promise.all([a.close(), b.close()]);
for (const ws of [echo, rawPub, rawSub]) ws.terminate();
emitResult(results);
