export { LifelineProvider, type LifelineProviderProps } from './LifelineProvider';
export { useLifeline } from './useLifeline';
export { useConnectionState } from './useConnectionState';
export { useChannel, type UseChannelResult } from './useChannel';
export {
  useChannelMessages,
  type UseChannelMessagesOptions,
  type UseChannelMessagesResult,
} from './useChannelMessages';
export { usePresence, type PresenceMemberOf, type UsePresenceOptions } from './usePresence';
export type { LifelineContextValue } from './context';
