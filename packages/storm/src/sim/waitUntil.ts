/** Polls an async condition every `everyMs` until it holds or `deadline` (epoch ms) passes. */
export async function waitUntil(cond: () => Promise<boolean>, deadline: number, everyMs = 100): Promise<boolean> {
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
