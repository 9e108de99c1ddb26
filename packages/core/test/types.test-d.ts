// Type tests, checked by `pnpm --filter @lifeline/core typecheck` (tsc), not run. What
// needs `exactOptionalPropertyTypes` (an option given as `undefined`) is checked against
// the packed declarations in test/packaging/installed-tarballs.test.ts.
import { expectTypeOf } from 'vitest';
import { createClient, isLifelineError, type ErrorCodeName, type LifelineClient, type LifelineError, type LifelineErrorCode, type Message, type StateChange, type GapEvent, type TokenSource } from '../src';

declare const client: LifelineClient;
declare const e: unknown;
declare const maybeToken: string | undefined;

export function checks() {
  // A token function may have no token yet (documented: `undefined` sends none).
  createClient({ url: 'ws://x/v1', token: async () => maybeToken });
  createClient({ url: 'ws://x/v1', token: () => maybeToken });
  expectTypeOf<() => Promise<string | undefined>>().toMatchTypeOf<TokenSource>();
  client.setToken(async () => undefined);
  // setToken() takes what the `token` option takes: undefined (no token) too.
  client.setToken(undefined);
  client.setToken(maybeToken);
  expectTypeOf(client.setToken).parameter(0).toEqualTypeOf<NonNullable<Parameters<typeof createClient>[0]['token']> | undefined>();
  // @ts-expect-error null is not a token (a token function's null fails the attempt, TOKEN_ERROR)
  client.setToken(null);

  // A handler's return value is only awaited when it is a promise: everyday shapes compile.
  const room = client.channel<{ text: string }>('room');
  const seen: Message<{ text: string }>[] = [];
  room.subscribe((m) => seen.push(m));
  room.subscribe(async (m) => m.data.text.length);
  room.subscribe((m) => {
    expectTypeOf(m).toEqualTypeOf<Message<{ text: string }>>();
  });
  // Every delivered message is a `msg` frame (only those reach a channel): `type` is there,
  // as the README's `msg: {type: 'msg', …}` says. It was typed optional, and
  // `const ty: 'msg' = m.type` did not compile. `id`, `user` and `ts` may be absent.
  room.subscribe((m) => {
    const ty: 'msg' = m.type;
    expectTypeOf(ty).toEqualTypeOf<'msg'>();
    expectTypeOf<Message>().toHaveProperty('type').toEqualTypeOf<'msg'>();
    expectTypeOf(m.id).toEqualTypeOf<string | undefined>();
    expectTypeOf(m.user).toEqualTypeOf<string | undefined>();
    expectTypeOf(m.ts).toEqualTypeOf<number | undefined>();
  });

  // once() is typed per event, as on().
  client.once('state', (s) => expectTypeOf(s).toEqualTypeOf<StateChange>());
  room.once('gap', (g) => expectTypeOf(g).toEqualTypeOf<GapEvent>());
  expectTypeOf(client.listenerCount('state')).toEqualTypeOf<number>();

  // isLifelineError narrows to the code asked for.
  if (isLifelineError(e, 'OUTBOX_FULL')) expectTypeOf(e.code).toEqualTypeOf<'OUTBOX_FULL'>();
  if (isLifelineError(e, 'OUTBOX_FULL') || isLifelineError(e, 'OUTBOX_DROPPED')) expectTypeOf(e.code).toEqualTypeOf<'OUTBOX_FULL' | 'OUTBOX_DROPPED'>();
  if (isLifelineError(e)) expectTypeOf(e.code).toEqualTypeOf<LifelineErrorCode>();
  if (isLifelineError(e)) expectTypeOf(e).toMatchTypeOf<LifelineError>();
  // @ts-expect-error a code that does not exist
  isLifelineError(e, 'OUTBOX_FUL');
  client.on('error', (err) => {
    // The protocol's codes, or another string from a newer server.
    expectTypeOf<ErrorCodeName>().toMatchTypeOf<NonNullable<typeof err.serverCode>>();
    expectTypeOf(err.serverCode).toEqualTypeOf<ErrorCodeName | (string & {}) | undefined>();
  });

  // @ts-expect-error not a client event
  client.on('stat', () => {});
}
