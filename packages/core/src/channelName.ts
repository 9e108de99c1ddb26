import { CHANNEL_NAME } from './protocol/frames';

/** A channel name the protocol accepts. typeof: the regex would test 123 as the text "123". */
export const isChannelName = (name: unknown): name is string => typeof name === 'string' && CHANNEL_NAME.test(name);

/** What a channel name may hold, said with a refused one (CHANNEL_NAME). */
export const CHANNEL_RULE = '1-200 of A-Za-z0-9_-:.@/=+';
