// Browser entry of the trial page: `?server=ws://…&room=…&slots=…[&throwOn=n][&listen=1]`, or
// `?ssr=1&server=…&room=…&offset=…&epoch=…` to hydrate the server's HTML of SsrApp.
import { createRoot, hydrateRoot } from 'react-dom/client';
import { createClient } from '@lifeline/core';
import { SsrApp, TrialApp, type Logs } from './app';

const q = new URLSearchParams(location.search);
const lab: Record<string, unknown> = {};
(window as unknown as { lab: typeof lab }).lab = lab;
const root = document.getElementById('root')!;

if (q.get('ssr')) {
  const since = { offset: Number(q.get('offset')), epoch: q.get('epoch')! };
  hydrateRoot(root, <SsrApp url={`${q.get('server')}/v1`} room={q.get('room')!} since={since} />);
} else {
  const logs: Logs = {};
  lab.logs = logs;
  // A quick fixed retry: the test drops and restarts the server and goes offline.
  const client = createClient({
    url: `${q.get('server')}/v1`,
    clientId: `trial-${Math.random().toString(36).slice(2)}`,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 'none' },
  });
  const states: string[] = [];
  client.on('state', ({ to, reason }) => states.push(`${to}:${reason}`));
  lab.states = states;
  if (q.get('listen')) {
    const errors: string[] = [];
    client.on('error', (e) => errors.push(`${e.code}:${e.channel ?? ''}`));
    lab.errors = errors;
  }
  const throwOn = q.get('throwOn');
  createRoot(root).render(
    <TrialApp
      client={client}
      room={q.get('room')!}
      slots={Number(q.get('slots') ?? 8)}
      logs={logs}
      throwOn={throwOn === null ? undefined : Number(throwOn)}
      expose={(flip, hide) => Object.assign(lab, { flip, hide })}
    />,
  );
}
