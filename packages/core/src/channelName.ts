import { CHANNEL_NAME } from './protocol/frames';

/** A channel name the protocol accepts. typeof: the regex would test 123 as the text "123". */
export const isChannelName = (name: unknown): name is string => typeof name === 'string' && CHANNEL_NAME.test(name);
