import type { Logger } from './types';
import { noop } from './domSocket';

/** The default logger: silent. Pass `console` (or any {@link Logger}) to see the client's log. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Log lines carry codes, counts, channel names and ids — never tokens and never
 * message payloads, whatever logger is plugged in.
 */
export type LogMeta = Record<string, string | number | boolean | null | undefined>;
