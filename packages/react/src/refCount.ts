interface Entry {
  count: number;
  stop: () => void;
  value: unknown;
  timer?: ReturnType<typeof setTimeout>;
}

/** A table of reference-counted resources, see {@link hold}. */
export type Holds = Map<unknown, Entry>;

/**
 * Holds the resource `key` of `table`, starting it with `start` on first use. The
 * last release stops it only after `delayMs`, and a hold within that delay
 * cancels the stop: an unmount followed by a mount (StrictMode, route changes)
 * reuses the resource and causes no wire traffic.
 * @returns the resource's value and an idempotent release function.
 */
export function hold<V>(
  table: Holds,
  key: unknown,
  start: () => [stop: () => void, value: V],
  delayMs: number,
): [V, () => void] {
  let entry = table.get(key);
  if (!entry) {
    const [stop, value] = start();
    table.set(key, (entry = { count: 0, stop, value }));
  }
  clearTimeout(entry.timer);
  entry.count++;
  const held = entry;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--held.count) return;
    held.timer = setTimeout(() => {
      table.delete(key);
      held.stop();
    }, delayMs);
  };
  return [held.value as V, release];
}
