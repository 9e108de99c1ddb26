import type { PresenceMember } from '@lifeline/core';

/**
 * What the hooks render on the server and during hydration (`getServerSnapshot`; the
 * connection's is core's INITIAL_SNAPSHOT, a channel's is built in useChannel): a state that
 * depends on the props alone. The live state (a client created at module scope is already
 * connecting when the page hydrates) would not match the server's HTML; React re-renders
 * with it right after hydration.
 */
export const NO_MEMBERS: readonly PresenceMember[] = [];
