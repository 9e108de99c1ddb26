// The React hooks in real Chromium against the reference server, where a React user
// meets them: a page rendered on the server and hydrated under StrictMode, a channel
// name that changes, a Provider whose client is swapped, presence changed while offline.
// Frames are counted at the server; the page shows what the hooks return.
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type LifelineServer } from '@lifeline/server';
import { HydratedApp } from './hooksLab/app';
import { buildLab } from './hooksLab/build';
import { chromiumAvailable, CHROMIUM, CHROMIUM_ARGS, until } from './support';
import { serveLab } from './labPage';

const enabled = chromiumAvailable();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe.skipIf(!enabled)('React hooks in Chromium', () => {
  let server: LifelineServer;
  let http: Awaited<ReturnType<typeof serveLab>> | undefined;
  let base: string;
  let browser: Browser;
  let errors: string[] = [];

  beforeAll(async () => {
    const [srv, js] = await Promise.all([createServer({ port: 0, host: '127.0.0.1', faults: true, presenceGraceMs: 300, logger: quiet }), buildLab()]);
    server = srv;
    // The server render: what a Next/Remix page would send before hydrating.
    http = await serveLab(js, (q) =>
      q.get('mode') === 'hydrate'
        ? renderToString(createElement(HydratedApp, { url: `${q.get('server')}/v1`, room: q.get('room')!, name: q.get('name') ?? 'ada' }))
        : '',
    );
    base = http.base;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await server?.close();
  });

  async function open(query: Record<string, string>): Promise<Page> {
    errors = [];
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    // React reports hydration mismatches and other misuse on console.error / warn.
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && errors.push(m.text()));
    await page.goto(`${base}/?${new URLSearchParams({ server: server.url, ...query })}`);
    return page;
  }

  const text = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)?.textContent ?? null, id);
  const frames = () => ({ ...server.stats().framesIn });
  const delta = (before: Record<string, number>, type: string) => (server.stats().framesIn[type] ?? 0) - (before[type] ?? 0);

  async function publish(channel: string, n: number): Promise<void> {
    const res = await fetch(`${server.httpUrl}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel, data: { n } }) });
    if (!res.ok) throw new Error(`publish ${res.status}`);
  }

  it('hydrates server HTML under StrictMode without a warning: one hello, one sub, one enter, no message lost across the double mount', async () => {
    const room = `lab-h-${Date.now()}`;
    const before = frames();
    // Messages keep coming while the page loads, mounts, unmounts and mounts again.
    let n = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await publish(room, ++n);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const page = await open({ mode: 'hydrate', room, name: 'ada' });
    expect(await page.evaluate(() => document.getElementById('state')?.textContent)).toBeDefined();
    await until(async () => (await text(page, 'channel-state')) === 'subscribed' && (await text(page, 'members')) === 'ada', 'subscribed and present');
    const atSubscribe = n;
    await until(() => n >= atSubscribe + 20, 'twenty more messages');
    publishing = false;
    await publisher;
    await until(async () => ((await text(page, 'messages')) ?? '').endsWith(`:${n}`), 'the last message');

    const shown = (await text(page, 'messages'))!.split(' ').map((m) => Number(m.split(':')[2]));
    // From the first message after the subscription started, every one, once, in order.
    expect(shown).toEqual(Array.from({ length: shown.length }, (_, i) => shown[0]! + i));
    expect(shown.at(-1)).toBe(n);
    expect(shown.length).toBeGreaterThanOrEqual(20);
    expect({ hello: delta(before, 'hello'), sub: delta(before, 'sub'), enter: delta(before, 'presence.enter'), unsub: delta(before, 'unsub'), leave: delta(before, 'presence.leave') }).toEqual({ hello: 1, sub: 1, enter: 1, unsub: 0, leave: 0 });
    expect(errors).toEqual([]);

    // The room's name changes: the old channel is released (unsub, leave), only the new one's messages show.
    const room2 = `${room}-2`;
    const beforeSwitch = frames();
    await page.evaluate((r) => (window as unknown as { lab: { setRoom(r: string): void } }).lab.setRoom(r), room2);
    await until(async () => (await text(page, 'channel-state')) === 'subscribed' && (await text(page, 'members')) === 'ada', 'subscribed to the new room');
    await until(() => delta(beforeSwitch, 'unsub') === 1 && delta(beforeSwitch, 'presence.leave') === 1, 'the old room released');
    expect(await text(page, 'messages')).toBe('');
    await publish(room, 1000);
    await publish(room2, 1);
    await publish(room2, 2);
    await until(async () => (await text(page, 'messages'))!.split(' ').length === 2, 'two messages of the new room');
    await new Promise((r) => setTimeout(r, 100)); // nothing more may arrive: a window to show it
    expect(await text(page, 'messages')).toMatch(new RegExp(`^${room2}:\\d+:1 ${room2}:\\d+:2$`));
    expect({ sub: delta(beforeSwitch, 'sub'), enter: delta(beforeSwitch, 'presence.enter') }).toEqual({ sub: 1, enter: 1 });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('a Provider whose client prop changes moves the subscription and presence to the new client and leaves the old one open', async () => {
    const room = `lab-s-${Date.now()}`;
    const page = await open({ mode: 'swap', room, name: 'ada' });
    await until(async () => (await text(page, 'channel-state')) === 'subscribed', 'subscribed on client a');
    await publish(room, 1);
    await until(async () => (await text(page, 'messages')) === `${room}:1:1`, 'the first message');
    const before = frames();
    await page.evaluate(() => (window as unknown as { lab: { useClient(k: string): void } }).lab.useClient('b'));
    await until(async () => (await text(page, 'channel-state')) === 'subscribed', 'subscribed on client b');
    await until(() => delta(before, 'unsub') === 1 && delta(before, 'presence.leave') === 1, 'client a released the room');
    // A new client starts an empty list: offsets of two connections never mix.
    expect(await text(page, 'messages')).toBe('');
    await publish(room, 2);
    await publish(room, 3);
    await until(async () => (await text(page, 'messages')) === `${room}:2:2 ${room}:3:3`, 'the next two, once each');
    await until(async () => (await text(page, 'members')) === 'ada', 'one member (client b)');
    // The Provider never closes a client it was given.
    expect(await page.evaluate(() => (window as unknown as { lab: { clientState(k: string): string } }).lab.clientState('a'))).toBe('open');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('usePresence changed while disconnected: a leave made offline is not re-entered, an enter made offline is sent on reconnect', async () => {
    const room = `lab-p-${Date.now()}`;
    const page = await open({ mode: 'presence', room });
    type Lab = { lab: { setMembers(n: string[]): void } };
    const setMembers = (names: string[]) => page.evaluate((n) => (window as unknown as Lab).lab.setMembers(n), names);
    await until(async () => (await text(page, 'state')) === 'open', 'connected');
    await setMembers(['x']);
    await until(async () => (await text(page, 'members')) === 'x', 'x present');

    // Offline: leave.
    server.faults!.dropAll();
    await until(async () => (await text(page, 'state')) !== 'open', 'offline');
    await setMembers([]);
    await new Promise((r) => setTimeout(r, 300)); // past the release delay, still offline (retry in 1.5 s)
    expect(await text(page, 'state')).not.toBe('open');
    await until(async () => (await text(page, 'state')) === 'open', 'back online', 10_000);
    await until(async () => (await text(page, 'members')) === '', 'x gone after the reconnect', 10_000);

    // Offline: enter.
    server.faults!.dropAll();
    await until(async () => (await text(page, 'state')) !== 'open', 'offline again');
    await setMembers(['y']);
    await until(async () => (await text(page, 'state')) === 'open', 'back online again', 10_000);
    await until(async () => (await text(page, 'members')) === 'y', 'y present after the reconnect', 10_000);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
