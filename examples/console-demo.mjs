#!/usr/bin/env node
// A scripted console demo of the Lifeline protocol: two clients chat through the
// reference server, one loses its network, messages keep flowing, and it catches up
// by replay with nothing lost and nothing twice. Exits by itself (code 1 if a check fails).
// Run after a build: `pnpm --filter @lifeline/server build && node examples/console-demo.mjs`.
// The clients speak the wire protocol (PROTOCOL.md) over raw `ws` on purpose: the point
// is to show the frames. `pnpm demo` shows the same with @lifeline/core and React.
import { createRequire } from 'node:module';
import { built } from './built.mjs';

const require = createRequire(new URL('../packages/server/package.json', import.meta.url));
const WebSocket = require('ws');
const { createServer } = await built(import(new URL('../packages/server/dist/index.js', import.meta.url).href));

const CHANNEL = 'room:demo';
const say = (who, text) => console.log(`${who.padEnd(8)} ${text}`);
const until = async (check, what, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A minimal protocol client: hello, sub with since, pub with ids, dedupe by (epoch, offset). */
class DemoClient {
  constructor(name, baseUrl) {
    Object.assign(this, { name, baseUrl, position: null, received: [], frames: [], ref: 0 });
  }

  async connect() {
    this.ws = new WebSocket(`${this.baseUrl}/v1`);
    this.ws.on('message', (data) => this.onFrame(JSON.parse(String(data))));
    await new Promise((resolve, reject) => (this.ws.once('open', resolve), this.ws.once('error', reject)));
    this.ws.send(JSON.stringify({ type: 'hello', v: 1, clientId: this.name, agent: 'console-demo' }));
    await this.waitFor((f) => f.type === 'welcome');
  }

  onFrame(f) {
    this.frames.push(f);
    if (f.type === 'msg') {
      const dup = this.position && f.epoch === this.position.epoch && f.offset <= this.position.offset;
      if (dup) return say(this.name, `(dropped duplicate #${f.offset})`);
      this.position = { offset: f.offset, epoch: f.epoch };
      this.received.push(f);
      say(this.name, `got #${f.offset}: ${JSON.stringify(f.data.text)}${this.replaying-- > 0 ? '  ← replayed' : ''}`);
    } else if (f.type === 'subscribed') {
      // The reply comes before the replayed messages it announces.
      this.replaying = f.replay ?? 0;
      if (f.recovered !== undefined) {
        say(this.name, `re-subscribed: recovered ${f.recovered}, ${f.replay ?? 0} message(s) to replay up to #${f.offset}`);
      } else {
        say(this.name, `subscribed to ${f.channel} at offset ${f.offset}, epoch ${f.epoch}`);
      }
    } else if (f.type === 'presence') {
      say(this.name, `presence: ${f.member.clientId} ${f.event === 'join' ? 'joined' : f.event === 'leave' ? 'left' : 'updated'}`);
    }
  }

  waitFor(pred, from = 0) {
    return until(() => this.frames.slice(from).find(pred), `${this.name}: a frame`).then(() => this.frames.slice(from).find(pred));
  }

  async request(frame) {
    const ref = ++this.ref;
    const from = this.frames.length;
    this.ws.send(JSON.stringify({ ...frame, ref }));
    return this.waitFor((f) => f.ref === ref, from);
  }

  async subscribe() {
    const reply = await this.request(this.position ? { type: 'sub', channel: CHANNEL, since: this.position } : { type: 'sub', channel: CHANNEL });
    if (reply.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
    if (!this.position) this.position = { offset: reply.offset, epoch: reply.epoch };
    return reply;
  }

  publish(text, id) {
    return this.request({ type: 'pub', channel: CHANNEL, data: { from: this.name, text }, id });
  }
}

const server = await createServer({ port: 0, presenceGraceMs: 5000 });
console.log(`\n── Lifeline console demo ─────────────────────────────────────────────`);
say('server', `listening on ${server.url}/v1 (memory broker, open: no auth secret)`);

const alice = new DemoClient('alice', server.url);
const bob = new DemoClient('bob', server.url);
let ok = true;
try {
  await alice.connect();
  await bob.connect();
  await alice.subscribe();
  await bob.subscribe();
  await alice.request({ type: 'presence.enter', channel: CHANNEL, info: { name: 'Alice' } });
  await bob.request({ type: 'presence.enter', channel: CHANNEL, info: { name: 'Bob' } });

  console.log('\n1) Alice says hello; both receive every message, in order.');
  for (const [i, text] of ['hi Bob!', 'the deploy is at 3pm', 'bring snacks'].entries()) {
    const ack = await alice.publish(text, `alice-${i + 1}`);
    say('alice', `sent ${JSON.stringify(text)} → acked as #${ack.offset}`);
  }
  await until(() => bob.received.length === 3, 'bob to receive 3 messages');

  console.log("\n2) Bob's network dies (his socket is cut, no close handshake).");
  bob.ws.terminate();
  say('bob', `offline; last position #${bob.position.offset}`);

  console.log('\n3) Alice keeps talking while Bob is away.');
  for (const [i, text] of ['Bob? you there?', 'moving the deploy to 4pm', 'snacks still on'].entries()) {
    const ack = await alice.publish(text, `alice-${i + 4}`);
    say('alice', `sent ${JSON.stringify(text)} → acked as #${ack.offset}`);
  }

  console.log('\n4) Bob reconnects and subscribes with since = his last position.');
  await bob.connect();
  await bob.subscribe();
  await until(() => bob.received.length === 6, 'bob to catch up');
  await bob.request({ type: 'presence.enter', channel: CHANNEL, info: { name: 'Bob' } });

  console.log("\n5) Alice's ack for her last message got lost, so she re-sends it with the same id.");
  const again = await alice.publish('snacks still on', 'alice-6');
  say('alice', `re-sent → acked as #${again.offset} with duplicate: ${again.duplicate === true} (stored once)`);
  const live = await alice.publish('see you at 4', 'alice-7');
  await until(() => bob.received.length === 7, 'bob to receive the live message');
  say('alice', `sent "see you at 4" → acked as #${live.offset}`);

  const offsets = bob.received.map((m) => m.offset);
  const contiguous = offsets.every((o, i) => o === i + 1);
  const aliceSawBobFlap = alice.frames.some((f) => f.type === 'presence' && f.member.clientId === 'bob' && f.event === 'leave');
  console.log('\n── Result ────────────────────────────────────────────────────────────');
  say('check', `Bob received offsets ${offsets.join(', ')}: ${contiguous ? 'complete, in order, no duplicates ✔' : 'GAP OR DUPLICATE ✘'}`);
  say('check', `Alice never saw Bob leave (he came back within the presence grace period): ${aliceSawBobFlap ? 'no ✘' : 'yes ✔'}`);
  ok = contiguous && !aliceSawBobFlap && again.duplicate === true;
} catch (err) {
  console.error(err);
  ok = false;
} finally {
  alice.ws?.terminate();
  bob.ws?.terminate();
  await server.close();
}
console.log(ok ? '\nDemo finished: every check passed.' : '\nDemo finished: a check FAILED.');
process.exit(ok ? 0 : 1);
