// Type tests, checked by `pnpm --filter @lifeline/react typecheck` (tsc), not run.
import { expectTypeOf } from 'vitest';
import type { ConnectionSnapshot, LifelineClient, LifelineError, Message, PresenceMember, PublishResult } from '@lifeline/core';
import {
  LifelineProvider,
  useChannel,
  useChannelMessages,
  useConnectionState,
  useLifeline,
  usePresence,
  type LifelineProviderProps,
} from '../src';

interface Chat {
  from: string;
  text: string;
}

export function checks() {
  expectTypeOf(useLifeline()).toEqualTypeOf<LifelineClient>();
  expectTypeOf(useConnectionState()).toEqualTypeOf<ConnectionSnapshot>();

  const chat = useChannel<Chat>('room', (msg) => {
    expectTypeOf(msg).toEqualTypeOf<Message<Chat>>();
  });
  expectTypeOf(chat.publish).parameter(0).toEqualTypeOf<Chat>();
  // Everyday handlers whose return value is not void compile (it is only awaited).
  const seen: Chat[] = [];
  const db = { put: (value: Chat) => Promise.resolve(value.text) };
  useChannel<Chat>('room', (msg) => seen.push(msg.data));
  useChannel<Chat>('room', (msg) => db.put(msg.data));
  useChannel<Chat>('room', async (msg) => db.put(msg.data));
  expectTypeOf(chat.publish({ from: 'a', text: 'b' })).toEqualTypeOf<Promise<PublishResult>>();
  // @ts-expect-error data must match the channel's type
  void chat.publish({ nope: true });

  const list = useChannelMessages<Chat>('room', { limit: 10, since: { offset: 1, epoch: 'e' } });
  expectTypeOf(list.messages).toEqualTypeOf<readonly Message<Chat>[]>();
  // @ts-expect-error limit is a number
  useChannelMessages('room', { limit: '10' });

  expectTypeOf(chat.retry).toEqualTypeOf<() => void>();

  expectTypeOf(usePresence('room', { name: 'ada' })).toEqualTypeOf<readonly PresenceMember[]>();
  usePresence('room', undefined, { enter: true });
  usePresence('room', { name: 'ada' }, { onError: (e) => expectTypeOf(e).toEqualTypeOf<LifelineError>() });

  expectTypeOf<LifelineProviderProps['releaseDelayMs']>().toEqualTypeOf<number | undefined>();
  // @ts-expect-error url is not a client option of the Provider's `options`
  void LifelineProvider({ url: 'ws://x/v1', options: { url: 'ws://y/v1' } });

  // `client` or `url`, exactly one: neither threw at render, both used `client` and ignored
  // `url` in silence.
  const client = useLifeline();
  void LifelineProvider({ client });
  void LifelineProvider({ client, releaseDelayMs: 10, onError: () => {}, children: null });
  void LifelineProvider({ url: 'ws://x/v1' });
  void LifelineProvider({ url: 'ws://x/v1', options: { token: async () => 't' }, releaseDelayMs: 10 });
  void LifelineProvider({ client, url: undefined, options: undefined });
  void LifelineProvider({ url: 'ws://x/v1', client: undefined });
  // @ts-expect-error neither `client` nor `url`
  void LifelineProvider({});
  // @ts-expect-error neither `client` nor `url`, children only
  void LifelineProvider({ children: 'x' });
  // @ts-expect-error both `client` and `url`
  void LifelineProvider({ client, url: 'ws://x/v1' });
  // @ts-expect-error `options` are for the client made from `url`, not for a given one
  void LifelineProvider({ client, options: { token: 't' } });
  // A `url` typed `string | undefined` (from the environment) compiles (the render throws
  // when it is undefined), beside a `client` it does not.
  const maybeUrl = undefined as string | undefined;
  void LifelineProvider({ url: maybeUrl });
  // @ts-expect-error both, when `url` may be set
  void LifelineProvider({ client, url: maybeUrl });
  const maybeClient = undefined as LifelineClient | undefined;
  // @ts-expect-error a `client` that may be undefined, without `url`
  void LifelineProvider({ client: maybeClient });
  // Indexed access still reads each prop's type across the two forms.
  expectTypeOf<LifelineProviderProps['url']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<LifelineProviderProps['client']>().toEqualTypeOf<LifelineClient | undefined>();
}
