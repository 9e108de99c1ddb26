// The README snippets a new user copies, as a consumer project's sources (declared
// helpers stand in for the app's own functions). They are type-checked against the
// installed tarballs in installed-tarballs.test.ts; keep them in step with README.md.

/** README "In the browser or Node: @lifeline/core", plus the documented shapes it relies on. */
export const coreSource = `
import { createClient, isLifelineError, LifelineError, type GapEvent, type Message, type PublishResult } from '@lifeline/core';
declare function fetchToken(): Promise<string>;
declare function render(data: { text: string }): void;
declare function refetch(from: GapEvent['from'], to: GapEvent['to'], reason: GapEvent['reason']): void;

export async function main(): Promise<void> {
  const client = createClient({ url: 'wss://rt.example.com/v1', token: () => fetchToken() });
  client.on('state', ({ from, to, reason, retryInMs }) => console.log(from, '→', to, reason, retryInMs));

  const room = client.channel<{ text: string }>('room:1');
  const off = room.subscribe((msg) => render(msg.data));
  room.on('gap', ({ from, to, reason }) => refetch(from, to, reason));
  const ack: PublishResult = await room.publish({ text: 'hi' });
  const duplicate: boolean = ack.duplicate;
  const position: { offset: number; epoch: string } | null = room.position;
  off();
  await client.close();

  client.on('error', (e) => { if (isLifelineError(e, 'SERVER_ERROR')) console.log(e.serverCode, e.retryAfterMs); });
  // A class users can test and build (it was exported as a type only).
  client.on('error', (e) => { if (e instanceof LifelineError) console.log(e.code); });
  const mine: Error = new LifelineError('BAD_ARGUMENT', 'from the app');
  client.on('outbox', ({ kind, id, channel, error }) => console.log(kind, id, channel, error.code));
  const handler = (msg: Message<{ text: string }>) => console.log(msg.channel, msg.offset, msg.epoch, msg.id, msg.ts);
  room.subscribe(handler);
  void duplicate; void position; void mine;
}
`;

/** README "In a Node service: @lifeline/node" and the drain recipe of packages/node/README.md. */
export const nodeSource = `
import { createNodeClient, fileCheckpoint, type DrainResult, type NodeClient } from '@lifeline/node';
// With skipLibCheck (what most apps set) a type whose package the consumer lacks (e.g.
// @types/ws) silently accepts anything; then these directives are unused and fail.
// @ts-expect-error a number is not a ws socket
export const notASocket: NodeClient['transport']['socket'] = 42;
// @ts-expect-error a number is not ws's PerMessageDeflateOptions
export const notDeflate: Parameters<typeof createNodeClient>[0]['perMessageDeflate'] = 42;
interface Order { id: string; cents: number }
declare function charge(order: Order): Promise<void>;

export async function main(): Promise<void> {
  const client = createNodeClient({
    url: 'wss://rt.example.com/v1',
    token: process.env.LIFELINE_TOKEN,
    headers: { 'x-service': 'billing' },
    checkpoint: fileCheckpoint('/var/lib/billing/lifeline.json'),
  });
  process.once('SIGTERM', () => void client.drain({ timeoutMs: 10_000 }));

  for await (const msg of client.channel<Order>('orders').messages({ highWaterMark: 100 })) {
    await charge(msg.data);
  }
  const result: DrainResult = await client.drain({ timeoutMs: 10_000 });
  if (!result.clean) console.warn('drain timed out', result.unflushedPublishes, result.checkpoints['orders']);
  const socket = client.transport.socket;
  socket?.ping();
}
`;

/** README "The reference server" as a library (packages/server/README.md quick start). */
export const serverSource = `
import { createServer, signToken, type RedisBrokerOptions } from '@lifeline/server';
// @ts-expect-error a number is not ioredis's RedisOptions (fails if its types do not resolve)
export const notRedisOptions: RedisBrokerOptions['redisOptions'] = 42;

export async function main(): Promise<void> {
  const server = await createServer({ port: 0, authSecret: 's3cret' });
  const token = signToken({ sub: 'ada', subscribe: ['room:*'], publish: ['room:*'] }, 's3cret');
  console.log(\`\${server.url}/v1\`, server.httpUrl, token, server.stats().connections);
  await server.close();
}
`;

/** README "In React: @lifeline/react". */
export const reactSource = `
import { LifelineProvider, useChannel, useChannelMessages, useConnectionState, usePresence } from '@lifeline/react';
// @ts-expect-error a plain object is not a ReactNode (fails if React's types do not resolve)
export const notChildren: Parameters<typeof LifelineProvider>[0]['children'] = { notAReactNode: true };
declare function getToken(): Promise<string>;

function Room() {
  const { state } = useConnectionState();
  const members = usePresence('room:1', { name: 'ada' });
  const { messages, publish } = useChannelMessages<{ text: string }>('room:1', { limit: 200 });
  const { position, gap, error } = useChannel<{ text: string }>('room:2', (m) => console.log(m.data.text));
  return (
    <>
      <p>{state} · {members.length} here · {position?.offset} {gap?.reason} {error?.code}</p>
      <ul>{messages.map((m) => <li key={m.offset}>{m.data.text}</li>)}</ul>
      <button onClick={() => publish({ text: 'hi' })}>Say hi</button>
    </>
  );
}

export const App = () => (
  <LifelineProvider url="wss://rt.example.com/v1" options={{ token: getToken }}>
    <Room />
  </LifelineProvider>
);
`;
