// Type tests, checked by `pnpm --filter @lifeline/node typecheck` (tsc), not run. What
// needs `exactOptionalPropertyTypes` (an option given as `undefined`) is checked against
// the packed declarations in test/packaging/installed-tarballs.test.ts.
import { expectTypeOf } from 'vitest';
import type { GapEvent, LifelineError, OutboxEvent, StateChange } from '@lifeline/core';
import {
  createNodeClient,
  isLifelineNodeError,
  type AckableMessage,
  type CheckpointLockHolder,
  type LifelineNodeErrorCode,
  type LifelineNodeErrorOf,
  type NodeClient,
  type TransportError,
} from '../src';

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

  // The documented details, typed by code: no cast (they were Record<string, unknown>).
  if (isLifelineNodeError(e, 'GAP')) expectTypeOf(e.details.gap).toEqualTypeOf<GapEvent>();
  if (isLifelineNodeError(e, 'CHECKPOINT_LOCKED')) {
    expectTypeOf(e.details.holder).toEqualTypeOf<CheckpointLockHolder | null>();
    expectTypeOf(e.details.lockPath).toEqualTypeOf<string>();
  }
  if (isLifelineNodeError(e, 'CLIENT_STOPPED')) {
    expectTypeOf(e.details.reason).toEqualTypeOf<'terminal' | 'auth-failed' | 'max-attempts'>();
    expectTypeOf(e.details.closeCode).toEqualTypeOf<number | undefined>();
    expectTypeOf(e.details.closeReason).toEqualTypeOf<string | undefined>();
  }
  if (isLifelineNodeError(e, 'CONSUMER_STOPPED')) expectTypeOf(e.details.attempts).toEqualTypeOf<number>();
  if (isLifelineNodeError(e, 'BAD_OPTION')) expectTypeOf(e.details?.suggestion).toEqualTypeOf<string | undefined>();
  // Code that read them as Record<string, unknown> still compiles.
  if (isLifelineNodeError(e, 'GAP')) expectTypeOf(e.details['other']).toEqualTypeOf<unknown>();
  if (isLifelineNodeError(e)) expectTypeOf(e.details).toEqualTypeOf<Record<string, unknown> | undefined>();
  // A union of codes narrows by `code`.
  const stopped = e as LifelineNodeErrorOf<'GAP' | 'CLIENT_STOPPED'>;
  if (stopped.code === 'GAP') expectTypeOf(stopped.details.gap).toEqualTypeOf<GapEvent>();
  else expectTypeOf(stopped.details.reason).toEqualTypeOf<'terminal' | 'auth-failed' | 'max-attempts'>();

  // transport.lastError: an upgrade refused with an HTTP status has it.
  expectTypeOf(client.transport.lastError).toEqualTypeOf<TransportError | null>();
  expectTypeOf(client.transport.lastError?.statusCode).toEqualTypeOf<number | undefined>();
}
