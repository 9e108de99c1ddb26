// The server-side-rendering recipe end to end: a page server reads a channel's recent
// messages with GET /v1/history (the render), messages keep being published until the
// browser hydrates, and the core client subscribing with `since` = the history's
// {offset, epoch} gets exactly those, then the live ones: no gap, nothing twice. Without
// `since` the subscription starts at the head and those messages are lost, silently (no
// gap event): what the React SSR trial saw, asserted here so the recipe's value is measured.
import type { GapEvent, Position } from '@lifeline/core';
import type { LifelineServer } from '@lifeline/server';
import { describe, expect, it } from 'vitest';
import { useReferenceServer, waitFor } from './helpers';

const t = useReferenceServer();

async function publishHttp(server: LifelineServer, channel: string, data: number): Promise<void> {
  const res = await fetch(`${server.httpUrl}/v1/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, data, id: `m${data}` }),
  });
  expect(res.status).toBe(200);
}

/** Publishes 1..3, renders from GET /v1/history, publishes 4..8 (between render and hydration). */
async function renderThenPublish(server: LifelineServer, channel: string) {
  for (const i of [1, 2, 3]) await publishHttp(server, channel, i);
  const res = await fetch(`${server.httpUrl}/v1/history?channel=${encodeURIComponent(channel)}&limit=50`);
  expect(res.status).toBe(200);
  const page = (await res.json()) as { epoch: string; offset: number; messages: { data: number }[] };
  for (const i of [4, 5, 6, 7, 8]) await publishHttp(server, channel, i);
  return page;
}

/** Hydration: a core client subscribes (with or without `since`), then 9..11 are published live. */
async function hydrate(server: LifelineServer, channel: string, since: Position | undefined) {
  const client = t.client(`${server.url}/v1`);
  const ch = client.channel<number>(channel, since ? { since } : {});
  const got: number[] = [];
  const gaps: GapEvent[] = [];
  ch.on('gap', (g) => void gaps.push(g));
  ch.subscribe((m) => void got.push(m.data));
  await waitFor(() => ch.getSnapshot().state === 'subscribed', 'subscribed');
  for (const i of [9, 10, 11]) await publishHttp(server, channel, i);
  await waitFor(() => got.includes(11), 'the live 11');
  return { got, gaps, position: ch.position };
}

describe('SSR: history on the server, `since` on the client', () => {
  it('since = the history\'s {offset, epoch}: the client gets exactly 4..8 (published between render and hydration), then live 9..11', async () => {
    const server = await t.start();
    const page = await renderThenPublish(server, 'feed:ssr');
    expect(page.messages.map((m) => m.data)).toEqual([1, 2, 3]); // what the server rendered
    expect(page.offset).toBe(3);
    const { got, gaps, position } = await hydrate(server, 'feed:ssr', { offset: page.offset, epoch: page.epoch });
    expect(got).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(gaps).toEqual([]);
    expect(position).toEqual({ offset: 11, epoch: page.epoch });
  });

  it('without since: the subscription starts at the head, 4..8 are lost and no gap says so (why the recipe passes since)', async () => {
    const server = await t.start();
    const page = await renderThenPublish(server, 'feed:nosince');
    expect(page.messages.map((m) => m.data)).toEqual([1, 2, 3]);
    const { got, gaps } = await hydrate(server, 'feed:nosince', undefined);
    expect(got).toEqual([9, 10, 11]);
    expect(gaps).toEqual([]);
  });

  it('a channel with nothing yet: history answers offset 0 and the epoch, and since from it gets every message', async () => {
    const server = await t.start();
    const res = await fetch(`${server.httpUrl}/v1/history?channel=feed:empty&limit=50`);
    const page = (await res.json()) as { epoch: string; offset: number; messages: unknown[] };
    expect(page).toMatchObject({ offset: 0, messages: [] });
    for (const i of [1, 2]) await publishHttp(server, 'feed:empty', i);
    const { got, gaps } = await hydrate(server, 'feed:empty', { offset: page.offset, epoch: page.epoch });
    expect(got).toEqual([1, 2, 9, 10, 11]);
    expect(gaps).toEqual([]);
  });
});
