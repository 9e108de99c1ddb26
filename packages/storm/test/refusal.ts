import { isStormError } from '../src/errors';

/** The message of the BAD_OPTION `f` throws, or 'accepted' when it throws nothing (any other error is rethrown). */
export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isStormError(e, 'BAD_OPTION')) return e.message;
    throw e;
  }
  return 'accepted';
}
