export { LifelineProvider, type LifelineProviderProps } from './LifelineProvider';
export { useLifeline } from './useLifeline';
export { useConnectionState } from './useConnectionState';
export { useChannel, type UseChannelResult } from './useChannel';
export {
  useChannelMessages,
  type UseChannelMessagesOptions,
  type UseChannelMessagesResult,
} from './useChannelMessages';
export { usePresence, type UsePresenceOptions } from './usePresence';
export { DEFAULT_RELEASE_DELAY_MS, type LifelineContextValue } from './context';
