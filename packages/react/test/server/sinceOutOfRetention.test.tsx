// useChannel(name, { since }) alone on a channel whose `since` fell out of retention: core
// raises its 'out-of-retention' gap and goes on at the head. The component's own gap check
// (a message past where it should start, see inFlightBeside) must not then replace core's
// gap with a 'handler-skipped' one of its own for the same loss.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { createClient, type LifelineClient, type Position } from '@lifeline/core';
import { createServer, type LifelineServer } from '@lifeline/server';
import { LifelineProvider, useChannel } from '../../src';
import { until, subscribed } from '../support/server';

let server: LifelineServer;
const clients: LifelineClient[] = [];
beforeAll(async () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  server = await createServer({ port: 0, host: '127.0.0.1', retention: 2, logger: quiet });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
});
const client = () => {
  const c = createClient({ url: `${server.url}/v1`, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
  clients.push(c);
  return c;
};

function Resume({ name, since, seen, gaps }: { name: string; since: Position; seen: string[]; gaps: string[] }) {
  const { gap } = useChannel<string>(name, (m) => void seen.push(`${m.data}${m.offset}`), { since });
  const said = gap && `${gap.reason} ${gap.from?.offset}-${gap.to.offset}`;
  if (said && gaps.at(-1) !== said) gaps.push(said);
  return null;
}

describe('useChannel with a `since` out of retention, alone on its channel', () => {
  it("shows core's out-of-retention gap, not a handler-skipped one of its own", async () => {
    const name = `room:since-retention-${Date.now()}`;
    const writer = client();
    const reader = client();
    for (const d of ['a', 'b', 'c', 'd', 'e']) await writer.channel(name).publish(d);
    const epoch = (await writer.channel(name).publish('f')).epoch;
    const seen: string[] = [];
    const gaps: string[] = [];
    const r = render(
      <LifelineProvider client={reader}>
        <Resume name={name} since={{ offset: 1, epoch }} seen={seen} gaps={gaps} />
      </LifelineProvider>,
    );
    await subscribed(reader, name);
    await writer.channel(name).publish('g');
    await until(() => seen.includes('g7'), 'g');
    expect(gaps.at(-1)).toMatch(/^out-of-retention /);
    expect(gaps.filter((g) => g.startsWith('handler-skipped'))).toEqual([]);
    r.unmount();
  });
});
