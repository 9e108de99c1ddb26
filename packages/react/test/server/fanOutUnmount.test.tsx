// One core channel fans out to every mounted component. A component's async handler that
// was still running when the component unmounted used to be awaited all the same: one that
// never settles wedged the shared channel for its siblings (and for the next component to
// mount within releaseDelayMs), and one that rejected because its component aborted it on
// unmount was reported as HANDLER_ERROR and redelivered. Once a component unmounted, the
// fan-out stops waiting for its handler and ignores how it ends.
import { useEffect, useState } from 'react';
import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { LifelineProvider, useChannel } from '../../src';
import { until, useServerWithClients, subscribed } from '../support/server';

const t = useServerWithClients();
// Long enough that no lease is released during a test: reuse is what is exercised.
const HOLD_MS = 60_000;
// A wedged channel shows as a timeout here; a healthy one delivers within milliseconds.
const WEDGE_MS = 3000;

const room = (label: string) => `room:unmount-${label}-${Date.now()}`;

function Steady({ name, seen }: { name: string; seen: string[] }) {
  useChannel<string>(name, (m) => void seen.push(m.data));
  return null;
}

/** Never finishes a message (a request that hangs). */
function Stuck({ name, seen }: { name: string; seen: string[] }) {
  useChannel<string>(name, (m) => {
    seen.push(m.data);
    return new Promise<void>(() => {});
  });
  return null;
}

/** Works on each message until it is done or its component unmounts (then it rejects). */
function Aborting({ name, seen }: { name: string; seen: string[] }) {
  const [controller] = useState(() => new AbortController());
  useEffect(() => () => controller.abort(new Error('unmounted')), []);
  useChannel<string>(name, (m) => {
    seen.push(m.data);
    return new Promise<void>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)));
  });
  return null;
}

describe('fan-out after a component with a handler in flight unmounted', () => {
  it('siblings go on receiving every message once, in order, when the unmounted handler never settles', async () => {
    const name = room('stuck');
    const client = t.client();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    const steady: string[] = [];
    const stuck: string[] = [];
    const tree = (withStuck: boolean) => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        <Steady name={name} seen={steady} />
        {withStuck && <Stuck name={name} seen={stuck} />}
      </LifelineProvider>
    );
    const r = render(tree(true));
    await subscribed(client, name);
    await client.channel(name).publish('a');
    await until(() => stuck.length === 1 && steady.length === 1, 'a handed to both');

    r.rerender(tree(false));
    for (const d of ['b', 'c']) await client.channel(name).publish(d);
    await until(() => steady.length === 3, 'b and c after the stuck component unmounted', WEDGE_MS);
    expect(steady).toEqual(['a', 'b', 'c']);
    expect(stuck).toEqual(['a']);
    expect(errors).toEqual([]);
    await until(() => client.channel(name).position?.offset === 3, 'position at c');
  });

  it('a handler that rejects because its component unmounted is no HANDLER_ERROR and redelivers nothing', async () => {
    const name = room('abort');
    const client = t.client();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    const steady: string[] = [];
    const aborting: string[] = [];
    const tree = (withAborting: boolean) => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        <Steady name={name} seen={steady} />
        {withAborting && <Aborting name={name} seen={aborting} />}
      </LifelineProvider>
    );
    const r = render(tree(true));
    await subscribed(client, name);
    await client.channel(name).publish('a');
    await until(() => aborting.length === 1 && steady.length === 1, 'a handed to both');

    r.rerender(tree(false));
    for (const d of ['b', 'c']) await client.channel(name).publish(d);
    await until(() => steady.length >= 3, 'b and c', WEDGE_MS);
    // Fenced: a message published now arrives after any redelivery the rejection caused.
    await client.channel(name).publish('d');
    await until(() => steady.includes('d'), 'd', WEDGE_MS);
    expect(errors).toEqual([]);
    expect(steady).toEqual(['a', 'b', 'c', 'd']);
    expect(aborting).toEqual(['a']);
  });

  it('a component mounting within releaseDelayMs after the only one unmounted mid-message takes over the channel', async () => {
    const name = room('handover');
    const client = t.client();
    const stuck: string[] = [];
    const next: string[] = [];
    const tree = (first: boolean) => (
      <LifelineProvider client={client} releaseDelayMs={HOLD_MS}>
        {first ? <Stuck key="first" name={name} seen={stuck} /> : <Steady key="next" name={name} seen={next} />}
      </LifelineProvider>
    );
    const r = render(tree(true));
    await subscribed(client, name);
    await client.channel(name).publish('a');
    await until(() => stuck.length === 1, 'a handed to the stuck component');

    // One commit: the lease is reused (no new sub), as on a route change.
    r.rerender(tree(false));
    await client.channel(name).publish('b');
    await until(() => next.length === 1, 'b reaches the new component', WEDGE_MS);
    expect(next).toEqual(['b']);
    expect(stuck).toEqual(['a']);
  });
});
