import { waitFor } from './waitFor';

/** Polls until `read()` has not changed for `quietMs` (real time): the server wrote what it could. */
export async function settled(read: () => number, quietMs = 300): Promise<number> {
  let last = read();
  let since = Date.now();
  await waitFor(() => {
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
    return Date.now() - since >= quietMs;
  }, 'the server to settle', 20_000);
  return last;
}
