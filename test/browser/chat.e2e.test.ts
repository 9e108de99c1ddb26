// End-to-end: the example React chat (examples/react-chat) in real Chromium against
// the reference server. Two pages in one room; the server drops every connection
// while one page publishes; both pages must end with the same complete, ordered list.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type LifelineServer } from '@lifeline/server';
import { serveApp } from '../../examples/react-chat/serve.mjs';
import { buildChat, chromiumAvailable, CHROMIUM, CHROMIUM_ARGS, readMessages, recordIndicator, until } from './support';

const enabled = chromiumAvailable();

describe.skipIf(!enabled)('react chat in Chromium', () => {
  let server: LifelineServer;
  let app: { url: string; close(): Promise<void> };
  let browser: Browser;
  const outDir = mkdtempSync(join(tmpdir(), 'lifeline-chat-'));

  beforeAll(async () => {
    const [srv] = await Promise.all([createServer({ port: 0, faults: true }), buildChat(outDir)]);
    server = srv;
    app = await serveApp({ root: outDir, port: 0, onDrop: () => server.faults!.dropAll() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  const errors: string[] = [];

  /** Reconnect delay of the pages: an outage long enough to publish into. */
  const RETRY_MS = 2_000;

  async function open(room: string, name: string): Promise<Page> {
    // Separate contexts: two independent "users", like two browsers.
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}/?server=${server.url}&room=${room}&name=${name}&retryMs=${RETRY_MS}`);
    await until(async () => (await indicator(page)) === 'open', `${name} to connect`).catch((e: Error) => {
      throw new Error(`${e.message}; page errors: ${errors.join(' | ') || 'none'}`);
    });
    return page;
  }

  /** The indicator's state, read without Playwright's auto-wait. */
  function indicator(page: Page): Promise<string | undefined> {
    return page.evaluate(() => document.querySelector<HTMLElement>('[data-testid=connection]')?.dataset.state);
  }

  async function send(page: Page, text: string) {
    await page.fill('[data-testid=input]', text);
    await page.press('[data-testid=input]', 'Enter');
  }

  it('two pages keep the same complete, ordered list across a server-side drop', async () => {
    const room = `e2e-${Date.now()}`;
    const ada = await open(room, 'ada');
    const bob = await open(room, 'bob');
    for (const page of [ada, bob]) {
      await until(async () => (await page.$$('[data-testid=presence] li')).length === 2, 'both members in presence');
    }

    const expected: string[] = [];
    const lines = async (page: Page) => (await readMessages(page)).map((m) => m.line);
    const bothShow = (n: number) => async () => (await lines(ada)).length === n && (await lines(bob)).length === n;

    await send(ada, 'hello from ada');
    expected.push('ada: hello from ada');
    await until(bothShow(1), 'the first message on both pages');
    await send(bob, 'hi ada');
    expected.push('bob: hi ada');
    await until(bothShow(2), 'the reply on both pages');

    const history = { ada: await recordIndicator(ada), bob: await recordIndicator(bob) };
    const dropsBefore = server.stats().handshakesAccepted;
    const sentWhile: string[] = [];
    for (let i = 1; i <= 15; i++) {
      sentWhile.push((await indicator(ada)) ?? '?');
      await send(ada, `burst ${i}`);
      expected.push(`ada: burst ${i}`);
      if (i === 5) {
        server.faults!.dropAll();
        await until(async () => (await indicator(ada)) === 'reconnecting', 'ada to notice the drop');
      }
    }
    // The point of the test: some of the burst was published during the outage.
    expect(sentWhile.slice(0, 5)).toEqual(['open', 'open', 'open', 'open', 'open']);
    expect(sentWhile[5]).toBe('reconnecting');

    await until(bothShow(expected.length), 'every message on both pages', 30_000);
    const [adaList, bobList] = [await readMessages(ada), await readMessages(bob)];
    expect(adaList.map((m) => m.line)).toEqual(expected);
    expect(bobList).toEqual(adaList);
    // Offsets are the server's log positions: consecutive, nothing skipped or repeated.
    expect(adaList.map((m) => m.offset)).toEqual(expected.map((_, i) => adaList[0]!.offset + i));

    expect(server.stats().handshakesAccepted).toBeGreaterThanOrEqual(dropsBefore + 2);
    for (const [name, read] of Object.entries(history)) {
      await until(async () => (await read()).at(-1) === 'open', `${name} indicator back to open`);
      const seen = await read();
      const reconnecting = seen.indexOf('reconnecting');
      expect(reconnecting, `${name} indicator history ${seen.join(' → ')}`).toBeGreaterThan(0);
      expect(seen.slice(reconnecting + 1)).toContain('open');
    }
    // No page error and no React warning (a development build) on either page.
    expect(errors).toEqual([]);
  }, 60_000);
});
