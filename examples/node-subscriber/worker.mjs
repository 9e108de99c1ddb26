#!/usr/bin/env node
// A Lifeline worker: consumes a channel in order, checkpoints each processed offset
// to a file (atomic write + fsync + rename), and drains on SIGTERM/SIGINT.
// Kill it with -9 and start it again: it resumes after the last checkpoint.
//
//   LIFELINE_URL=ws://127.0.0.1:8080/v1 CHANNEL=orders CHECKPOINT=./orders.checkpoint.json node worker.mjs
import { readFile } from 'node:fs/promises';
import { createNodeClient, fileCheckpoint } from '@lifeline/node';

const url = process.env.LIFELINE_URL ?? 'ws://127.0.0.1:8080/v1';
const channelName = process.env.CHANNEL ?? 'orders';
const checkpointPath = process.env.CHECKPOINT ?? new URL(`./${channelName}.checkpoint.json`, import.meta.url).pathname;
const log = (...args) => console.log(`[worker ${process.pid}]`, ...args);

const client = createNodeClient({
  url,
  // A token file (LIFELINE_TOKEN_FILE, rotated by your platform) is read again at every
  // connection and renewal; a fixed LIFELINE_TOKEN stops the worker when its exp passes.
  token: process.env.LIFELINE_TOKEN_FILE
    ? async () => (await readFile(process.env.LIFELINE_TOKEN_FILE, 'utf8')).trim()
    : process.env.LIFELINE_TOKEN,
  checkpoint: fileCheckpoint(checkpointPath),
});
client.on('state', ({ from, to, reason, retryInMs }) =>
  log(`connection ${from} → ${to} (${reason}${retryInMs != null ? `, retry in ${retryInMs} ms` : ''})`),
);
// A refused token or URL, a server error: with no listener core prints each to the console itself.
client.on('error', (error) => log(`error ${error.code}: ${error.message}`));

const orders = client.channel(channelName);
orders.on('gap', (gap) => log('GAP: messages were lost upstream', gap));
orders.ready().then(
  (channel) => {
    log(`consuming "${channelName}" from ${url}, resuming after`, orders.resumedFrom ?? 'the head (no checkpoint yet)');
    // Said once subscribed: a first run without a checkpoint gets what is published from here on.
    const said = () => {
      if (channel.getSnapshot().state !== 'subscribed') return false;
      log(`subscribed to "${channelName}"`);
      return true;
    };
    if (!said()) {
      const off = channel.subscribeSnapshot(() => said() && off());
    }
  },
  // Not unhandled: consume() below reads the same checkpoint and reports its failure
  // (CHECKPOINT_LOCKED, CHECKPOINT_CORRUPT) once, then exits 1.
  () => {},
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    stopping = true;
    log(`${signal}: draining…`);
    try {
      const result = await client.drain({ timeoutMs: 10_000 });
      log('drained', result);
      // Not clean: a message stayed unacknowledged or a checkpoint write failed; it is
      // redelivered next run. Say so in the exit status, for whatever supervises the worker.
      if (!result.clean) process.exitCode = 1;
    } catch (error) {
      // The consumer had already stopped and closed the client (see below).
      log('drain failed:', error);
      process.exitCode = 1;
    }
    // Nothing else is ref'd: the process exits by itself.
  });
}

try {
  await orders.consume(
    async (msg) => {
      // Your side effect goes here. Make it idempotent on (msg.epoch, msg.offset) or
      // msg.id to turn at-least-once into exactly-once in effect (see the README).
      // A message it can never process (here: not an order) throws; after the retries
      // below it goes to deadLetter and the stream moves on, instead of stopping at it.
      if (!Number.isInteger(msg.data?.order)) throw new TypeError(`not an order: ${JSON.stringify(msg.data)}`);
      log(`processed #${msg.offset}`, JSON.stringify(msg.data));
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    {
      onError: { policy: 'retry', maxAttempts: 5, initialDelayMs: 200, onExhausted: 'dead-letter' },
      deadLetter: (msg, { error, attempts }) => log(`dead-lettered #${msg.offset} after ${attempts} attempts: ${error.message ?? error}`),
      // Checkpoint files from a server whose memory log was lost: say so and go on.
      onGap: (gap) => log('continuing after gap', gap),
    },
  );
  if (!stopping) log('consumer ended');
} catch (error) {
  log('consumer stopped:', error);
  process.exitCode = 1;
  await client.close();
}
