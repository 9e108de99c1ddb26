import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INTERNAL_PREFIX } from '../tsup.config';
import { DEFAULT_HEARTBEAT, DEFAULT_OUTBOX, DEFAULT_RECONNECT } from '../src';
import { setup } from './support/harness';

const src = (f: string) => readFileSync(new URL(`../src/${f}`, import.meta.url), 'utf8');

/** dist renames every `x.<name>` whose name starts with INTERNAL_PREFIX: no such name may be public. */
describe('property mangling of the build', () => {
  it('no member of a public type or a wire frame starts with the internal prefix', () => {
    const internal = ['OutboxEntry', 'Outbox'];
    const declared = ['types.ts', 'errors.ts', 'protocol/frames.ts', 'protocol/closeCodes.ts', 'browserLifecycle.ts', 'outbox.ts']
      .flatMap((f) => [...src(f).matchAll(/export (?:interface|class) (\w+)[^{]*\{([\s\S]*?)\n\}/g)])
      .filter((m) => !internal.includes(m[1]!))
      .flatMap((m) => [...m[2]!.matchAll(/^\s*(?:readonly\s+|declare\s+readonly\s+)?([A-Za-z_]\w*)\??\s*[:(]/gm)].map((d) => d[1]));
    expect(declared.length).toBeGreaterThan(100);
    expect(declared.filter((n) => n!.startsWith(INTERNAL_PREFIX))).toEqual([]);
  });

  it('no key of a public runtime object starts with the internal prefix', () => {
    const h = setup();
    const ch = h.client.channel('c');
    const publicKeys = [
      ...Object.keys(h.client.stats()),
      ...Object.keys(h.client.getSnapshot()),
      ...Object.keys(ch.getSnapshot()),
      ...Object.keys(DEFAULT_HEARTBEAT),
      ...Object.keys(DEFAULT_OUTBOX),
      ...Object.keys(DEFAULT_RECONNECT),
      'state', 'clientId', 'connect', 'close', 'whenFlushed', 'reconnectNow', 'publish', 'channel', 'getSnapshot',
      'subscribe', 'stats', 'setToken', 'on', 'off', 'once', 'emit', 'name', 'position', 'presence', 'members',
      'enter', 'leave', 'subscribeSnapshot',
    ];
    for (const k of publicKeys) expect(k.startsWith(INTERNAL_PREFIX), k).toBe(false);
    expect(h.client.whenFlushed).toBeTypeOf('function');
  });
});
