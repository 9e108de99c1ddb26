// A React trial (1 run in 9): a publish in flight when a memory server died was stored and
// handed out in the old epoch, its ack lost; the publisher's core sent it again on the new
// connection, and the restarted server, which forgot the ids it had seen, stored it anew. The
// list showed it twice, same `id`, at two positions. Here the publisher sends the same `id`
// again after the restart, as its core does for that ack: the README says the list then holds
// both, and its `once` recipe (run as written) shows it once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import * as lifelineReact from '../../src';
import { LifelineProvider, useChannelMessages } from '../../src';
import { until, useServerWithClients } from '../support/server';

const t = useServerWithClients();

/** The README block with `once` as written, on channel `name` instead of 'room:1'. */
function readmeChat(name: string): React.ComponentType {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const block = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('function once<T>'));
  if (!block) throw new Error('README block with once() not found');
  const js = ts.transpileModule(block.replaceAll("'room:1'", JSON.stringify(name)), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX },
  }).outputText;
  const modules: Record<string, unknown> = { react: React, 'react/jsx-runtime': jsxRuntime, '@lifeline/react': lifelineReact };
  const exports: { Chat?: React.ComponentType } = {};
  new Function('exports', 'require', js)(exports, (id: string) => modules[id]);
  return exports.Chat!;
}

describe('a publish stored again in the new epoch after a memory server restart', () => {
  it('is listed twice with the same id; the README recipe shows it once', async () => {
    const name = `room:repeat-${Date.now()}`;
    const Chat = readmeChat(name);
    const client = t.client();
    const writer = t.client();
    const raw: string[] = [];
    function Raw() {
      const { messages, gap } = useChannelMessages<{ from: string; text: string }>(name, { batchMs: 1 });
      raw.splice(0, raw.length, ...messages.map((m) => `${m.data.text}#${m.id}`));
      return <p data-testid="gap">{gap?.reason}</p>;
    }
    const r = render(
      <LifelineProvider client={client}>
        <Raw />
        <Chat />
      </LifelineProvider>,
    );
    const shown = () => r.getByRole('list').textContent;
    await until(() => client.channel(name).getSnapshot().state === 'subscribed', 'subscribed');
    await writer.channel(name).publish({ from: 'w', text: 'a' }, { id: 'p-1' });
    await until(() => shown() === 'w: a', 'a');
    await t.server.faults.restart();
    await until(() => client.channel(name).getSnapshot().state === 'subscribed' && r.getByTestId('gap').textContent === 'epoch-changed', 'the new epoch');
    // The restarted server forgot `p-1`: stored anew, not answered as a duplicate.
    expect((await writer.channel(name).publish({ from: 'w', text: 'a' }, { id: 'p-1' })).duplicate).toBeFalsy();
    await writer.channel(name).publish({ from: 'w', text: 'b' }, { id: 'p-2' });
    await until(() => raw.length === 3 && shown() === 'w: aw: b', 'b');
    expect(raw).toEqual(['a#p-1', 'a#p-1', 'b#p-2']);
    r.unmount();
  });
});
