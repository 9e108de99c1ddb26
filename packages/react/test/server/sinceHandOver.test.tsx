// A React trial: the README's server-rendering hand-over (read `GET /v1/history`, render it,
// subscribe with `since` its position) beside another hook of the same channel. Core keeps one
// position per channel and client and takes `since` only until the channel's first subscribe
// is answered, so:
// - mounted in the same commit as that other hook (a hydrated page), or in a later commit
//   before the answer, the channel starts from the `since`: everything after it, no gap;
// - mounted once the other hook's subscribe was answered and the channel moved past the
//   `since`, nothing is replayed: the messages in between are the hook's 'handler-skipped'
//   gap. The README's recipe reads them from the history route by the gap's `from` and `to`;
//   it is run here as written (its URL pointed at this server).
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import type { Position } from '@lifeline/core';
import * as lifelineReact from '../../src';
import { LifelineProvider, useChannel, usePresence } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();

/** What one component was handed and the gaps it showed, as "reason from-to". */
type View = { seen: string[]; gaps: string[] };

function Resume({ name, since, view }: { name: string; since: Position; view: View }) {
  const { gap } = useChannel<string | { text: string }>(name, (m) => void view.seen.push(`${typeof m.data == 'string' ? m.data : m.data.text}${m.offset}`), { since });
  const said = gap && `${gap.reason} ${gap.from?.offset}-${gap.to.offset}`;
  if (said && view.gaps.at(-1) !== said) view.gaps.push(said);
  return null;
}
const Watch = ({ name }: { name: string }) => (usePresence(name), null);

describe('useChannel with `since` beside a usePresence of the same channel', () => {
  for (const when of ['same commit', 'later commit, before the answer'] as const) {
    it(`${when}: replays everything after the \`since\`, no gap`, async () => {
      const name = `room:handover-${when.length}-${Date.now()}`;
      const writer = t.client();
      const a = await writer.channel(name).publish('a');
      await writer.channel(name).publish('b');
      await writer.channel(name).publish('c');
      const client = t.client();
      if (when == 'later commit, before the answer') await client.close();
      const view: View = { seen: [], gaps: [] };
      const since = { offset: a.offset, epoch: a.epoch };
      const tree = (resume: boolean) => (
        <LifelineProvider client={client}>
          <Watch name={name} />
          {resume && <Resume name={name} since={since} view={view} />}
        </LifelineProvider>
      );
      const r = render(tree(when == 'same commit'));
      if (when != 'same commit') {
        r.rerender(tree(true));
        client.connect();
      }
      await subscribed(client, name);
      await writer.channel(name).publish('d');
      await until(() => view.seen.includes('d4'), 'd');
      expect(view).toEqual({ seen: ['b2', 'c3', 'd4'], gaps: [] });
      r.unmount();
    });
  }

  it('mounted after its subscribe was answered and the channel moved on: the gap, and the README recipe fills it from history', async () => {
    const name = `room:handover-later-${Date.now()}`;
    const writer = t.client();
    const client = t.client();
    const Room = readmeRoom(name);
    const r = render(
      <LifelineProvider client={client}>
        <Watch name={name} />
      </LifelineProvider>,
    );
    await subscribed(client, name);
    await writer.channel(name).publish(chat('a'));
    // The server render: the history and its position.
    const h = JSON.parse(await get(`/v1/history?channel=${encodeURIComponent(name)}&limit=50`)) as {
      epoch: string;
      offset: number;
      messages: { offset: number; epoch: string; data: unknown }[];
    };
    // Published after the read, handed to the usePresence's subscription before the mount.
    await writer.channel(name).publish(chat('b'));
    await writer.channel(name).publish(chat('c'));
    await until(() => client.channel(name).position?.offset === 3, 'the channel at c');
    const view: View = { seen: [], gaps: [] };
    const since = { offset: h.offset, epoch: h.epoch };
    const tree = (
      <LifelineProvider client={client}>
        <Watch name={name} />
        <Resume name={name} since={since} view={view} />
        <Room initial={h.messages} since={since} />
      </LifelineProvider>
    );
    r.rerender(tree);
    await writer.channel(name).publish(chat('d'));
    await until(() => view.seen.includes('d4'), 'd');
    // What the hook alone shows: nothing replayed, b and c its gap.
    expect(view).toEqual({ seen: ['d4'], gaps: ['handler-skipped 1-3'] });
    // The recipe puts them back in order, and says nothing is missing.
    await until(() => screen.getByRole('list').textContent === 'x: ax: bx: cx: d', 'a, b, c, d in order');
    expect(screen.queryByText('Some messages could not be loaded.')).toBeNull();
    r.unmount();
  });
});

/** GET on the test server's HTTP side (the test environment's own `fetch` is happy-dom's). */
function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.server.httpUrl}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject).end();
  });
}

/**
 * The README's recipe block (the one with `missedFromHistory`) as written: its `Room` on channel
 * `name` instead of 'room:1', its URL this server's.
 */
function readmeRoom(name: string): React.ComponentType<{ initial: unknown[]; since: Position }> {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const block = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('function missedFromHistory'));
  if (!block) throw new Error('README block with missedFromHistory not found');
  const js = ts.transpileModule(block.replace('https://example.com', t.server.httpUrl).replaceAll("'room:1'", JSON.stringify(name)), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX },
  }).outputText;
  const modules: Record<string, unknown> = { react: React, 'react/jsx-runtime': jsxRuntime, '@lifeline/react': lifelineReact };
  const fetch = async (url: string) => {
    const body = await get(url.slice(t.server.httpUrl.length));
    return { ok: true, status: 200, json: async () => JSON.parse(body) };
  };
  const exports: { Room?: React.ComponentType<{ initial: unknown[]; since: Position }> } = {};
  new Function('exports', 'require', 'fetch', 'getToken', js)(exports, (id: string) => modules[id], fetch, async () => 'unused');
  return exports.Room!;
}

/** A ChatMessage, as the README's Room renders it. */
const chat = (text: string) => ({ from: 'x', text });
