/** Polls `cond` until it is truthy or `timeoutMs` passes (generous: the machines are shared). */
export async function waitFor<T>(cond: () => T | undefined | false | null, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
