import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** True when the browser tests can run; prints why not, and throws when LIFELINE_REQUIRE_BROWSER=1. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `${CHROMIUM} not found (install it: apt-get install -y chromium)`;
  if (process.env.LIFELINE_REQUIRE_BROWSER === '1') throw new Error(`LIFELINE_REQUIRE_BROWSER=1 but ${reason}`);
  console.warn(`browser e2e skipped: ${reason}`);
  return false;
}

const buildScript = fileURLToPath(new URL('../../examples/react-chat/build.mjs', import.meta.url));

/**
 * Builds the example chat with Vite in a child process (its own Vite, not vitest's).
 * A development build: React's StrictMode double mount and its warnings are live.
 */
export function buildChat(outDir: string): Promise<void> {
  const env = { ...process.env, NODE_ENV: 'development' };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [buildScript, outDir], { timeout: 120_000, env }, (err, stdout, stderr) =>
      err ? reject(new Error(`chat build failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
    );
  });
}

/** Polls `check` (run in node, may await the page) until true, failing after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The chat's message list as "from: text" lines, with their offsets. */
export function readMessages(page: Page): Promise<{ line: string; offset: number }[]> {
  return page.$$eval('[data-testid=message]', (items) =>
    items.map((li) => ({
      line: `${li.querySelector('b')?.textContent}: ${li.querySelector('.text')?.textContent}`,
      offset: Number((li as HTMLElement).dataset.offset),
    })),
  );
}

/**
 * Records every value the connection indicator's data-state takes from now on
 * (a MutationObserver with old values, so quick successive changes are not lost).
 */
export async function recordIndicator(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=connection]') as HTMLElement;
    const seen: string[] = [el.dataset.state ?? ''];
    (window as unknown as { __indicator: string[] }).__indicator = seen;
    new MutationObserver((records) => {
      records.forEach((_, i) => {
        const next = i + 1 < records.length ? records[i + 1]!.oldValue : el.dataset.state;
        if (next && seen[seen.length - 1] !== next) seen.push(next);
      });
    }).observe(el, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
  });
  return () => page.evaluate(() => [...(window as unknown as { __indicator: string[] }).__indicator]);
}
