// Type tests of the published declarations as a strict app sees them (installed-tarballs.test.ts
// compiles them with exactOptionalPropertyTypes and without skipLibCheck): an option read
// from a config or the environment is often `undefined`, which those apps could not pass
// (`token: process.env.LIFELINE_TOKEN`, the READMEs' own sample, did not compile). Each
// `@ts-expect-error` is a mistake that must stay a compile error.

/** @lifeline/core: every input option may be given as undefined; handler, token and guard shapes. */
export const coreTypeChecks = `
import { createClient, isLifelineError, type LifelineErrorCode, type Message, type Position } from '@lifeline/core';
declare const maybeToken: string | undefined;
declare const maybePos: Position | undefined;
declare const maybeId: string | undefined;
declare const maybeNum: number | undefined;
declare const maybeBool: boolean | undefined;

export async function main(): Promise<void> {
  const client = createClient({
    url: 'wss://rt.example.com/v1',
    token: process.env.LIFELINE_TOKEN,
    clientId: maybeId,
    reconnect: { initialDelayMs: maybeNum, maxDelayMs: maybeNum, factor: maybeNum, jitter: undefined, maxAttempts: maybeNum, ignoreOffline: maybeBool },
    heartbeat: { timeoutMs: maybeNum, checkIntervalMs: maybeNum, probeTimeoutMs: maybeNum, jumpThresholdMs: maybeNum },
    outbox: { maxMessages: maybeNum, maxBytes: maybeNum, overflow: undefined, ttlMs: maybeNum, onClose: undefined, closeTimeoutMs: maybeNum, ackTimeoutMs: maybeNum },
    WebSocket: undefined,
    clock: undefined,
    random: undefined,
    logger: undefined,
    autoConnect: maybeBool,
    handshakeTimeoutMs: maybeNum,
    lifecycle: undefined,
    agent: maybeId,
  });
  // A token function with no token yet (before login): documented, and accepted at runtime.
  createClient({ url: 'wss://rt.example.com/v1', token: async () => maybeToken });
  client.setToken(() => maybeToken);

  const room = client.channel<{ text: string }>('room:1', { since: maybePos, onHandlerError: undefined });
  const seen: Message<{ text: string }>[] = [];
  // Only a returned promise is awaited: a handler returning something else compiles.
  room.subscribe((msg) => seen.push(msg));
  await room.publish({ text: 'hi' }, { id: maybeId, ttlMs: maybeNum });
  await client.close({ code: maybeNum, reason: maybeId });

  try {
    await room.publish({ text: 'again' });
  } catch (e) {
    if (isLifelineError(e, 'OUTBOX_FULL')) {
      const only: 'OUTBOX_FULL' = e.code;
      void only;
    }
    if (isLifelineError(e)) {
      const any: LifelineErrorCode = e.code;
      void any;
    }
    // @ts-expect-error a code that does not exist
    isLifelineError(e, 'OUTBOX_FUL');
  }
  client.on('error', (e) => console.log(e.code, e.serverCode === 'RATE_LIMITED'));
  // @ts-expect-error not a client event
  client.on('stat', () => {});
  // @ts-expect-error a typo in an option
  createClient({ url: 'wss://rt.example.com/v1', reconnect: { jiter: 'full' } });
}
`;

/** @lifeline/node: every input option may be given as undefined; typed events, handler and guard. */
export const nodeTypeChecks = `
import { createNodeClient, fileCheckpoint, isLifelineNodeError, type LifelineNodeErrorCode } from '@lifeline/node';
import type { LifelineError, Position } from '@lifeline/core';
interface Order { id: string; cents: number }
declare const maybePos: Position | undefined;
declare const maybeNum: number | undefined;
declare const maybeBool: boolean | undefined;
declare const maybeSignal: AbortSignal | undefined;

export async function main(): Promise<void> {
  const client = createNodeClient({
    url: 'wss://rt.example.com/v1',
    token: process.env.LIFELINE_TOKEN,
    headers: undefined,
    agent: undefined,
    tls: undefined,
    perMessageDeflate: maybeBool,
    handshakeTimeoutMs: maybeNum,
    maxPayloadBytes: maybeNum,
    checkpoint: fileCheckpoint('/var/lib/billing/lifeline.json', { fsync: maybeBool }),
    keepProcessAlive: maybeBool,
    flowControl: { pausedKeepaliveMs: maybeNum, maxBufferedMessages: maybeNum },
    reconnect: { maxAttempts: maybeNum },
  });
  const orders = client.channel<Order>('orders', { since: maybePos, onHandlerError: undefined });
  for await (const msg of orders.messages({ signal: maybeSignal, highWaterMark: maybeNum, lowWaterMark: maybeNum, autoAck: maybeBool, maxUncommitted: maybeNum, onGap: undefined })) {
    void msg.data.cents;
  }
  const done: number[] = [];
  // Only a returned promise is awaited: a handler returning something else compiles.
  await orders.consume((msg) => done.push(msg.data.cents), {
    signal: maybeSignal,
    onError: { policy: 'retry', maxAttempts: maybeNum, initialDelayMs: maybeNum, maxDelayMs: maybeNum, factor: maybeNum, onExhausted: undefined },
    deadLetter: undefined,
    onRetry: undefined,
  });
  const result = await client.drain({ timeoutMs: maybeNum, code: maybeNum, reason: undefined });
  void result.clean;

  client.on('error', (e) => {
    const err: LifelineError = e;
    void err;
  });
  // @ts-expect-error not a client event (the listener was never called)
  client.on('stat', () => {});
  try {
    await client.close();
  } catch (e) {
    if (isLifelineNodeError(e, 'CLIENT_CLOSED')) {
      const only: 'CLIENT_CLOSED' = e.code;
      void only;
    }
    if (isLifelineNodeError(e)) {
      const any: LifelineNodeErrorCode = e.code;
      void any;
    }
  }
}
`;

/** @lifeline/react: props and hook options given as undefined. */
export const reactTypeChecks = `
import { LifelineProvider, useChannel, useChannelMessages, usePresence } from '@lifeline/react';
import type { Position } from '@lifeline/core';
declare const maybeUrl: string | undefined;
declare const maybeToken: string | undefined;
declare const maybePos: Position | undefined;
declare const maybeNum: number | undefined;
declare const maybeBool: boolean | undefined;
interface Chat { text: string }

function Room() {
  const seen: string[] = [];
  useChannel<Chat>('room:1', (msg) => seen.push(msg.data.text), { since: maybePos, onHandlerError: undefined });
  const { messages } = useChannelMessages<Chat>('room:1', { limit: maybeNum, batchMs: maybeNum, since: maybePos });
  const members = usePresence('room:1', { name: 'ada' }, { enter: maybeBool, onError: undefined });
  return <p>{messages.length} {members.length}</p>;
}

export const App = () => (
  <LifelineProvider url={maybeUrl} releaseDelayMs={maybeNum} options={{ token: maybeToken, reconnect: { maxAttempts: maybeNum } }}>
    <Room />
  </LifelineProvider>
);
`;
