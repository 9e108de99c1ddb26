import type { ChannelOptions, ChannelSnapshot, PresenceMember } from '@lifeline/core';

/**
 * What the hooks render on the server and during hydration (`getServerSnapshot`; the
 * connection's is core's INITIAL_SNAPSHOT): a state that depends on the props alone.
 * The live state (a client created at module scope is already connecting when the
 * page hydrates) would not match the server's HTML; React re-renders with it right
 * after hydration.
 */
export const NO_MEMBERS: readonly PresenceMember[] = [];

/** A channel before it subscribed: at its `since` position, if any. */
export const serverChannelSnapshot = (options: ChannelOptions | undefined): ChannelSnapshot =>
  ({ state: 'idle', position: options?.since ?? null, lastGap: null, error: null });
