import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import * as core from '@lifeline/core';
import * as lifelineReact from '../../src';
import { startServer, until } from '../support/server';

let server: Awaited<ReturnType<typeof startServer>>;
// The clients the README block creates, closed after the test.
const made: core.LifelineClient[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  cleanup();
  await Promise.all(made.map((c) => c.close()));
  await server.close();
});

/**
 * Runs the README's "create the client, add the listener, and pass it to the Provider" block
 * as written (its url pointed at the test server): copied, its `Root` must connect. It made
 * the client with `autoConnect: false` and handed it to a Provider that never connects a
 * given client, so the app stayed `closed` for good (seen in a browser trial).
 */
function readmeRoot(url: string) {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const block = [...readme.matchAll(/```tsx\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("client.on('error'"));
  if (!block) throw new Error('README block with client.on(\'error\') not found');
  const js = ts.transpileModule(block.replace('wss://rt.example.com/v1', url), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX },
  }).outputText;
  const modules: Record<string, unknown> = {
    react: React,
    'react/jsx-runtime': jsxRuntime,
    '@lifeline/core': { ...core, createClient: (o: core.ClientOptions) => made[made.push(core.createClient(o)) - 1] },
    '@lifeline/react': lifelineReact,
  };
  const exports: { Root?: React.ComponentType<{ children: React.ReactNode }> } = {};
  new Function('exports', 'require', 'report', js)(exports, (id: string) => modules[id], () => {});
  return exports.Root!;
}

function Status() {
  return <p data-testid="state">{lifelineReact.useConnectionState().state}</p>;
}

describe('README: a client you create yourself for the Provider', () => {
  it('connects once rendered (the Provider does not connect a given client)', async () => {
    const Root = readmeRoot(`${server.url}/v1`);
    render(
      <Root>
        <Status />
      </Root>,
    );
    await until(() => screen.getByTestId('state').textContent === 'open', 'the README client to connect', 5_000);
    expect(server.stats().handshakesAccepted).toBe(1);
  });
});
