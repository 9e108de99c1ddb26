/** What {@link hold} keeps on a held value: its holders' count, its stop and the pending stop. */
interface Held {
  n: number;
  s: () => void;
  t?: ReturnType<typeof setTimeout>;
}

/** A table of reference-counted resources, see {@link hold}. */
export type Holds<V extends object = object> = Map<unknown, V>;

/**
 * Holds the resource `key` of `table`, starting it with `start` on first use. The
 * last release stops it only after `delayMs`, and a hold within that delay
 * cancels the stop: an unmount followed by a mount (StrictMode, route changes)
 * reuses the resource and causes no wire traffic.
 * @returns the resource's value and an idempotent release function.
 */
export function hold<V extends object>(
  table: Holds<V>,
  key: unknown,
  start: () => [stop: () => void, value: V],
  delayMs: number,
): [V, () => void] {
  let h = table.get(key) as (V & Held) | undefined;
  if (!h) {
    const [stop, value] = start();
    table.set(key, (h = value as V & Held));
    h.n = 0;
    h.s = stop;
  }
  clearTimeout(h.t);
  h.n++;
  let released = false;
  return [
    h,
    () => {
      if (released) return;
      released = true;
      if (--h!.n) return;
      h!.t = setTimeout(() => {
        table.delete(key);
        h!.s();
      }, delayMs);
    },
  ];
}
