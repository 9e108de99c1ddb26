import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { LifelineProvider, useConnectionState, useLifeline } from '../../src';
import type { LifelineClient } from '@lifeline/core';
import { startServer, until } from '../support/server';

let first: Awaited<ReturnType<typeof startServer>>;
let second: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  [first, second] = await Promise.all([startServer(), startServer()]);
});
afterAll(() => Promise.all([first.close(), second.close()]));
afterEach(cleanup);

const seen: LifelineClient[] = [];
function Status() {
  const client = useLifeline();
  if (!seen.includes(client)) seen.push(client);
  return <p data-testid="status">{useConnectionState().state}</p>;
}

describe('<LifelineProvider url>', () => {
  it('a new url makes a new client and closes the old one; new options alone do not', async () => {
    const tree = (url: string, options: object) => (
      <LifelineProvider url={`${url}/v1`} options={options} releaseDelayMs={10}>
        <Status />
      </LifelineProvider>
    );
    const { rerender, unmount } = render(tree(first.url, { clientId: 'a' }));
    await until(() => screen.getByTestId('status').textContent === 'open', 'open on the first server');
    rerender(tree(first.url, { clientId: 'a' }));
    expect(seen).toHaveLength(1);

    rerender(tree(second.url, { clientId: 'a' }));
    await until(() => second.stats().connections === 1, 'a connection to the second server');
    await until(() => first.stats().connections === 0, 'the old client to close');
    expect(seen).toHaveLength(2);
    expect(seen[0]!.state).toBe('closed');
    expect(first.stats().handshakesAccepted).toBe(1);

    unmount();
    await until(() => second.stats().connections === 0, 'the client to close on unmount');
  });
});
