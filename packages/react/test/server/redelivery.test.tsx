import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { LifelineProvider, useChannel, useChannelMessages } from '../../src';
import { until, useServerWithClients } from '../support/server';

const t = useServerWithClients();

describe('hooks next to a handler that throws (core redelivers to every handler of the channel)', () => {
  it('another handler and the message list each get every message once, in order', async () => {
    const room = `room:redeliver-${Date.now()}`;
    // Short retry backoff: core redelivers after it.
    const client = t.client({ initialDelayMs: 10, maxDelayMs: 20 });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    const calls: string[] = [];
    function Flaky() {
      // Throws the first time it sees 'b': with the default onHandlerError 'redeliver',
      // core asks the server again from 'a' and every handler of the channel gets 'b' and 'c' again.
      useChannel<string>(room, (m) => {
        calls.push(m.data);
        if (m.data === 'b' && calls.filter((d) => d === 'b').length === 1) throw new Error('flaky');
      });
      return null;
    }
    const steady: string[] = [];
    function Steady() {
      useChannel<string>(room, (m) => void steady.push(m.data));
      return null;
    }
    function List() {
      const { messages } = useChannelMessages<string>(room, { batchMs: 1 });
      return <p data-testid="list">{messages.map((m) => `${m.offset}:${m.data}`).join(',')}</p>;
    }
    render(
      <LifelineProvider client={client}>
        <Steady />
        <Flaky />
        <List />
      </LifelineProvider>,
    );
    const channel = client.channel<string>(room);
    await until(() => channel.getSnapshot().state === 'subscribed', 'subscribed');
    for (const d of ['a', 'b', 'c']) await channel.publish(d);
    await until(() => calls.filter((d) => d === 'c').length >= 1 && calls.filter((d) => d === 'b').length === 2, 'b redelivered');
    await until(() => channel.position?.offset === 3, 'position at c');
    await new Promise((r) => setTimeout(r, 30)); // one more batch window
    expect(errors).toEqual(['HANDLER_ERROR']);
    expect(calls).toEqual(['a', 'b', 'b', 'c']);
    expect(steady).toEqual(['a', 'b', 'c']);
    expect(screen.getByTestId('list').textContent).toBe('1:a,2:b,3:c');
  });
});
