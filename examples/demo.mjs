#!/usr/bin/env node
// `pnpm demo`: starts the reference server, builds and serves the React chat, and
// prints the URL to open. Ctrl-C stops it. When stdin is not a TTY (CI, scripts)
// or LIFELINE_DEMO_EXIT_AFTER_MS is set, it stops by itself after a while.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { built } from './built.mjs';
import { serveApp } from './react-chat/serve.mjs';

const { createServer } = await built(import('@lifeline/server'));
// Core is the chat's dependency, not the workspace root's: resolved from there.
const require = createRequire(new URL('./react-chat/package.json', import.meta.url));
const { createClient } = await built(async () => require('@lifeline/core'));

const room = process.env.LIFELINE_DEMO_ROOM ?? 'lobby';
const appPort = Number(process.env.PORT ?? 5173);
const exitAfterMs = process.env.LIFELINE_DEMO_EXIT_AFTER_MS
  ? Number(process.env.LIFELINE_DEMO_EXIT_AFTER_MS)
  : process.stdin.isTTY
    ? null
    : 15_000;

console.log('lifeline demo: building the React chat (examples/react-chat)…');
// Its own directory, removed on stop: two demos at once (a second terminal, the tests) each
// emptied and rewrote examples/react-chat/dist under the other one's server.
const outDir = mkdtempSync(join(tmpdir(), 'lifeline-demo-chat-'));
process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
try {
  // Imported here so a broken Vite install still leaves the console demo below.
  const { buildApp } = await import('./react-chat/build.mjs');
  await buildApp(outDir);
} catch (e) {
  console.error(`lifeline demo: could not build the React chat (${e?.message ?? e}); running the console demo instead.`);
  await import('./console-demo.mjs');
  process.exit(process.exitCode ?? 0);
}

const server = await createServer({ port: 0, faults: true });
const defaultQuery = { server: server.url, room };
const app = await serveApp({
  root: outDir,
  port: appPort,
  defaultQuery,
  onDrop: () => server.faults.dropAll(),
}).catch((e) => {
  if (e.code !== 'EADDRINUSE') throw e;
  console.log(`lifeline demo: port ${appPort} is busy, using a free one`);
  return serveApp({ root: outDir, port: 0, defaultQuery, onDrop: () => server.faults.dropAll() });
});

// A bot in the room, so the first visitor is not alone, and a self-check that the
// server really relays messages.
const bot = createClient({ url: `${server.url}/v1` });
// Declared before the bot's first send: warn() reads it from the sends' callbacks.
let stopping = false;
const channel = bot.channel(room);
let relayed = false;
channel.subscribe((msg) => {
  if (msg.data?.from === 'lifeline-bot') relayed = true;
});
channel.presence.enter({ name: 'lifeline-bot' }).catch((e) => warn('the bot did not enter presence', e));
// A subscription without `since` starts at the head: publish once it is in place.
await until(() => channel.getSnapshot().state === 'subscribed', 10_000);
// The self-check: nobody is in the room yet, so only the bot sees this one.
const welcome = channel.publish({ from: 'lifeline-bot', text: 'lifeline-bot is here' });
// Awaited only by the self-check below: handled here too, so a Ctrl-C before its ack
// (close() rejects it) is no unhandled rejection.
welcome.catch((e) => warn('the self-check message was not sent', e));
// Greets each visitor as it enters presence. A page subscribes before it enters (the same
// channel, in order on one connection), so its subscription is live when the greeting
// comes; a message published before anyone subscribed would never be seen (a
// subscription without `since` starts at the head). A reconnect keeps the clientId: no
// second greeting.
const greeted = new Set([bot.clientId]);
channel.on('presence', (members) => {
  for (const m of members) {
    if (greeted.has(m.clientId)) continue;
    greeted.add(m.clientId);
    const name = typeof m.info?.name === 'string' ? m.info.name : m.clientId;
    channel
      .publish({ from: 'lifeline-bot', text: `Welcome, ${name}! Open this page in a second tab, press "Drop connection" while sending, and watch nothing get lost.` })
      .catch((e) => warn(`${name} was not greeted`, e));
  }
});

const page = `${app.url}/?server=${server.url}&room=${encodeURIComponent(room)}`;
console.log(`
  Lifeline demo is running.

  Open   ${page}
  Tip    open it in two tabs (add &name=ada / &name=bob), send messages, then press
         "Drop connection": the badge shows reconnecting, then open, and both tabs
         end with every message sent after both joined, complete and in order.

  Reference server  ${server.url}/v1   (health: ${server.httpUrl}/healthz)
  ${exitAfterMs === null ? 'Press Ctrl-C to stop.' : `Stopping by itself in ${exitAfterMs / 1000} s (${process.env.LIFELINE_DEMO_EXIT_AFTER_MS ? 'LIFELINE_DEMO_EXIT_AFTER_MS' : 'stdin is not a TTY'}; LIFELINE_DEMO_EXIT_AFTER_MS=<ms> sets how long), or on Ctrl-C.`}
`);

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`lifeline demo: stopping${signal ? ` (${signal})` : ''}…`);
  await Promise.allSettled([bot.close(), app.close()]);
  await server.close();
  // Under `pnpm demo` the terminal's Ctrl-C reaches pnpm too, which then prints
  // "ELIFECYCLE Command failed" and exits 130 although the demo stopped cleanly.
  const underPnpm = signal === 'SIGINT' && process.env.npm_lifecycle_event === 'demo';
  console.log(`lifeline demo: stopped${underPnpm ? ' (pnpm may now say "Command failed": that is its report of the Ctrl-C, not an error)' : ''}`);
  // Not exit(0): a failed self-check set exitCode 1, and an explicit 0 hid it.
  process.exit();
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

if (exitAfterMs !== null) {
  await welcome;
  await until(() => relayed, 5_000);
  console.log(relayed ? 'lifeline demo: self-check ok (message published and relayed)' : 'lifeline demo: self-check FAILED: no message relayed');
  if (!relayed) process.exitCode = 1;
  setTimeout(() => void stop(), exitAfterMs).unref?.();
  // Keep the loop alive until stop() runs, even if every socket was closed.
  setTimeout(() => {}, exitAfterMs + 1_000);
}

/** Says why a send of the bot failed, except when stop() closing the bot failed it. */
function warn(what, e) {
  if (!stopping) console.error(`lifeline demo: ${what} (${e?.code ?? ''} ${e?.message ?? e})`);
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passed. */
async function until(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return check();
}
