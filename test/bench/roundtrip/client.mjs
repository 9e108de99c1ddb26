// Publish round trip against the reference server (child process).
// `node client.mjs <url> <iterations> <maxMs>`; runs each case sequentially (one
// request in flight) and prints RESULT with every case's latencies in ms:
//  - echo:               raw ws on /echo, send 128 bytes, wait for the echo (baseline)
//  - raw pub→ack:        raw ws speaking the protocol by hand
//  - lifeline pub→ack:   channel.publish() until its promise resolves
//  - raw pub→delivered:  raw publisher, raw subscriber on another socket
//  - lifeline pub→delivered: Lifeline publisher, Lifeline subscriber (another client)
import WS from 'ws';
import { emitResult } from '../lib/child.mjs';
import { lifelineMessage } from '../lib/frames.mjs';
import { rawHandshake, rawSubscribe } from '../lib/raw-protocol.mjs';

const [url, itersArg, maxMsArg] = process.argv.slice(2);
const iterations = Number(itersArg);
const maxMs = Number(maxMsArg);
const data = JSON.parse(lifelineMessage(1)).data;

/** Runs `once()` up to `iterations` times or until `maxMs`, after 10% warm-up rounds. */
async function sample(once) {
  const warm = Math.max(10, Math.floor(iterations / 10));
  for (let i = 0; i < warm; i++) await once();
  const out = [];
  const end = performance.now() + maxMs;
  while (out.length < iterations && performance.now() < end) {
    const t = performance.now();
    await once();
    out.push(performance.now() - t);
  }
  return out;
}

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

const results = {};

{
  const ws = new WS(`${url}/echo`, { perMessageDeflate: false });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const frame = lifelineMessage(1);
  results.echo = await sample(() => {
    const p = nextMessage(ws, () => true);
    ws.send(frame);
    return p;
  });
  ws.terminate();
}

{
  const pub = await rawHandshake(url);
  const sub = await rawHandshake(url);
  await rawSubscribe(sub, 'rt-raw');
  let ref = 10;
  results.rawAck = await sample(() => {
    const r = ++ref;
    const p = nextMessage(pub, (d) => JSON.parse(d).ref === r);
    pub.send(JSON.stringify({ type: 'pub', ref: r, channel: 'rt-raw-ack', data, id: `a${r}` }));
    return p;
  });
  results.rawDelivered = await sample(() => {
    const r = ++ref;
    const id = `d${r}`;
    const p = nextMessage(sub, (d) => JSON.parse(d).id === id);
    pub.send(JSON.stringify({ type: 'pub', ref: r, channel: 'rt-raw', data, id }));
    return p;
  });
  pub.terminate();
  sub.terminate();
}

{
  const { createClient } = await import('@lifeline/core');
  const a = createClient({ url: `${url}/v1`, WebSocket: WS });
  const b = createClient({ url: `${url}/v1`, WebSocket: WS });
  const ackChannel = a.channel('rt-ll-ack');
  results.lifelineAck = await sample(() => ackChannel.publish(data));

  let waiting = null;
  const subChannel = b.channel('rt-ll');
  subChannel.subscribe((msg) => {
    if (waiting && msg.id === waiting.id) waiting.resolve();
  });
  const deadline = Date.now() + 30_000;
  while (subChannel.getSnapshot().state !== 'subscribed') {
    if (Date.now() > deadline) throw new Error('lifeline subscriber never subscribed');
    await new Promise((r) => setTimeout(r, 10));
  }
  const pubChannel = a.channel('rt-ll');
  let n = 0;
  const acks = [];
  results.lifelineDelivered = await sample(() => {
    const id = `ll-${++n}`;
    const p = new Promise((resolve) => (waiting = { id, resolve }));
    acks.push(pubChannel.publish(data, { id }));
    return p;
  });
  // Delivery can beat the publisher's own ack; wait for every ack before closing.
  await Promise.all(acks);
  await Promise.all([a.close(), b.close()]);
}

emitResult(results);
