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
}
