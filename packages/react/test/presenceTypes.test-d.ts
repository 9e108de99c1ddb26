// Type tests, checked by `pnpm --filter @lifeline/react typecheck` (tsc), not run.
import { expectTypeOf } from 'vitest';
import type { PresenceMember } from '@lifeline/core';
import { usePresence, type PresenceMemberOf } from '../src';

interface Info {
  name: string;
  color: string;
}

export function checks() {
  // Without a type argument, `info` stays unknown (another member's info is not checked).
  expectTypeOf(usePresence('room', { name: 'ada' })).toEqualTypeOf<readonly PresenceMember[]>();
  // With one, the members' info has the app's type.
  const members = usePresence<Info>('room', { name: 'ada', color: 'red' });
  expectTypeOf(members).toEqualTypeOf<readonly PresenceMemberOf<Info>[]>();
  expectTypeOf(members[0]!.info).toEqualTypeOf<Info | undefined>();
  expectTypeOf(members[0]!.clientId).toEqualTypeOf<string>();
  // @ts-expect-error the own info must have the type named
  usePresence<Info>('room', { name: 'ada' });
  usePresence<Info>('room', undefined, { enter: false });
}
