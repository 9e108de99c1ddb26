/**
 * What storm reads of an `AbortSignal` (`hooks.signal`). Declared here so the package's
 * types compile without the DOM lib or @types/node, where the global `AbortSignal` is
 * declared; a real `AbortSignal` fits it.
 */
export interface StormAbortSignal {
  readonly aborted: boolean;
  /** Said in the INTERRUPTED error's message. */
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
