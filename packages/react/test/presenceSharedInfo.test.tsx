// Two components share the client's one presence entry on a channel; the entry shows the
// info of the last one that wrote it. When that one unmounted, the others went on seeing its
// info. Now the most recent remaining holder's info is sent again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup } from '@testing-library/react';
import { usePresence } from '../src';
import { FakeClient } from './support/fakeClient';
import { renderWithClient } from './support/render';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Member({ info }: { info: unknown }) {
  usePresence('room', info);
  return null;
}

const enters = (client: FakeClient) =>
  client.wire.filter((w) => w.op === 'presence.enter').map((w) => (w as { info: unknown }).info);

describe('usePresence with holders sharing the entry', () => {
  it('the last writer unmounting sends the remaining holder info again; no leave', async () => {
    const client = new FakeClient();
    const { rerender } = renderWithClient(client, <Member info="A" />);
    rerender(
      <>
        <Member info="A" />
        <Member info="B" />
      </>,
    );
    rerender(<Member info="A" />);
    await act(async () => vi.advanceTimersByTime(10_000));
    expect(enters(client)).toEqual(['A', 'B', 'A']);
    expect(client.count('presence.leave')).toBe(0);
  });

  it('a holder changing its info sends only the new info (no flicker to the other one)', async () => {
    const client = new FakeClient();
    const { rerender } = renderWithClient(
      client,
      <>
        <Member info="A" />
        <Member info="B" />
      </>,
    );
    rerender(
      <>
        <Member info="A" />
        <Member info="B2" />
      </>,
    );
    await act(async () => vi.advanceTimersByTime(10_000));
    expect(enters(client)).toEqual(['A', 'B', 'B2']);
  });

  it('an earlier holder unmounting sends nothing', async () => {
    const client = new FakeClient();
    const { rerender } = renderWithClient(
      client,
      <>
        <Member key="a" info="A" />
        <Member key="b" info="B" />
      </>,
    );
    rerender(<Member key="b" info="B" />);
    await act(async () => vi.advanceTimersByTime(10_000));
    expect(enters(client)).toEqual(['A', 'B']);
  });
});
