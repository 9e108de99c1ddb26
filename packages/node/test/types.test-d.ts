// Type tests, checked by `pnpm --filter @lifeline/node typecheck` (tsc), not run. What
// needs `exactOptionalPropertyTypes` (an option given as `undefined`) is checked against
// the packed declarations in test/packaging/installed-tarballs.test.ts.
import { expectTypeOf } from 'vitest';
import type { LifelineError, OutboxEvent, StateChange } from '@lifeline/core';
import { createNodeClient, isLifelineNodeError, type AckableMessage, type LifelineNodeErrorCode, type NodeClient } from '../src';

interface Order {
  id: string;
  cents: number;
}
declare const client: NodeClient;
declare const e: unknown;

export async function checks() {
  // Core's token function shape, `undefined` included.
  createNodeClient({ url: 'ws://x/v1', token: async () => (Math.random() ? 't' : undefined) });

  // A handler's return value is only awaited when it is a promise: everyday shapes compile.
  const done: number[] = [];
  await client.channel<Order>('orders').consume((msg) => done.push(msg.data.cents));
  await client.channel<Order>('orders').consume(async (msg) => {
    expectTypeOf(msg).toEqualTypeOf<AckableMessage<Order>>();
    return msg.data.id;
  });
  await client.channel<Order>('orders').consume(() => {}, { onError: { policy: 'dead-letter' }, deadLetter: (msg) => done.push(msg.data.cents) });

  // Core's events, typed as core types them.
  client.on('state', (s) => expectTypeOf(s).toEqualTypeOf<StateChange>());
  client.on('error', (err) => expectTypeOf(err).toEqualTypeOf<LifelineError>());
  client.on('outbox', (o) => expectTypeOf(o).toEqualTypeOf<OutboxEvent>());
  // @ts-expect-error not an event of the client (its listener was never called)
  client.on('stat', () => {});
  // @ts-expect-error `gap` is a channel event
  client.on('gap', () => {});

  // isLifelineNodeError narrows to the code asked for.
  if (isLifelineNodeError(e, 'GAP')) expectTypeOf(e.code).toEqualTypeOf<'GAP'>();
  if (isLifelineNodeError(e)) expectTypeOf(e.code).toEqualTypeOf<LifelineNodeErrorCode>();
  // @ts-expect-error a code that does not exist
  isLifelineNodeError(e, 'GAPS');
}
