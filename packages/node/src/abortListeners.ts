/** The adapter's one 'abort' listener on a signal, and what it calls. */
interface Fanout {
  readonly callbacks: Set<() => void>;
  readonly dispatch: () => void;
}

const fanouts = new WeakMap<object, Fanout>();

/**
 * Calls `callback` once when `signal` aborts; returns the function that stops listening. Every
 * callback on one signal shares one listener, removed with the last callback: one signal shared
 * by more than 10 iterations (a shutdown signal for every channel) got a listener each, and Node
 * warned `MaxListenersExceededWarning` (a leak it was not). The signal's own limit is left alone,
 * so the warning still tells its owner about listeners of their own.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (!fanout) {
    const callbacks = new Set<() => void>();
    const dispatch = () => {
      fanouts.delete(signal);
      const called = [...callbacks];
      callbacks.clear();
      for (const call of called) call();
    };
    fanout = { callbacks, dispatch };
    fanouts.set(signal, fanout);
    signal.addEventListener('abort', dispatch, { once: true });
  }
  const { callbacks, dispatch } = fanout;
  // A wrapper per registration: the same function registered twice is two registrations.
  const entry = () => callback();
  callbacks.add(entry);
  return () => {
    if (!callbacks.delete(entry) || callbacks.size > 0 || fanouts.get(signal)?.callbacks !== callbacks) return;
    fanouts.delete(signal);
    signal.removeEventListener('abort', dispatch);
  };
}
