import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setup } from './support/harness';

type Cmd =
  | { k: 'open' }
  | { k: 'welcome' }
  | { k: 'close'; code: number }
  | { k: 'error' }
  | { k: 'msg'; d: number }
  | { k: 'answer' }
  | { k: 'advance'; ms: number }
  | { k: 'jump'; ms: number }
  | { k: 'publish' }
  | { k: 'ack' }
  | { k: 'reconnectNow' }
  | { k: 'offline' }
  | { k: 'online' }
  | { k: 'toggleSub' }
  | { k: 'garbage' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.constant({ k: 'open' } as const),
  fc.constant({ k: 'welcome' } as const),
  fc.constantFrom(1000, 1006, 1012, 1013, 4000, 4100, 4101, 4202).map((code) => ({ k: 'close', code }) as const),
  fc.constant({ k: 'error' } as const),
  fc.integer({ min: -2, max: 3 }).map((d) => ({ k: 'msg', d }) as const),
  fc.constant({ k: 'answer' } as const),
  fc.integer({ min: 0, max: 40_000 }).map((ms) => ({ k: 'advance', ms }) as const),
  fc.integer({ min: 0, max: 90_000 }).map((ms) => ({ k: 'jump', ms }) as const),
  fc.constant({ k: 'publish' } as const),
  fc.constant({ k: 'ack' } as const),
  fc.constant({ k: 'reconnectNow' } as const),
  fc.constant({ k: 'offline' } as const),
  fc.constant({ k: 'online' } as const),
  fc.constant({ k: 'toggleSub' } as const),
  fc.constant({ k: 'garbage' } as const),
);

describe('invariants under random open/close/error/message/timer sequences', () => {
  it('at most one live socket, bounded outbox, monotonic position, no timer or listener leak after close', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { maxLength: 60 }), fc.boolean(), async (cmds, fnToken) => {
        const maxMessages = 5;
        const h = setup({
          token: fnToken ? () => 'tok' : 'tok',
          outbox: { maxMessages, overflow: 'drop-oldest', ttlMs: 20_000 },
          heartbeat: { probeTimeoutMs: 1000 },
        });
        const ch = h.client.channel('room');
        let off: (() => void) | null = ch.subscribe(() => {});
        let head = 0;
        let lastPos = -1;
        const answered = new Set<number>();
        for (const c of cmds) {
          const s = h.sockets.at(-1);
          switch (c.k) {
            case 'open':
              if (s && s.readyState === 0) s.open();
              break;
            case 'welcome':
              if (s && s.readyState === 1) s.push({ type: 'welcome', v: 1, session: 's', heartbeatMs: 10_000, limits: { maxFrameBytes: 65536, maxChannels: 10, publishPerSec: 50, publishBurst: 3 }, serverTime: 0 });
              break;
            case 'close':
              s?.serverClose(c.code, c.code === 1013 ? 'retry-after-ms=500' : '');
              break;
            case 'error':
              s?.error();
              break;
            case 'msg':
              if (s && s.readyState === 1) {
                const offset = Math.max(1, head + c.d);
                head = Math.max(head, offset);
                s.push({ type: 'msg', channel: 'room', offset, epoch: 'e1', data: offset });
              }
              break;
            case 'answer':
              if (s && s.readyState === 1) {
                for (const f of s.frames('sub')) {
                  if (answered.has(f.ref)) continue;
                  answered.add(f.ref);
                  s.push({ type: 'subscribed', ref: f.ref, channel: 'room', epoch: 'e1', offset: head, ...(f.since ? { recovered: true, replay: 0 } : {}) });
                }
              }
              break;
            case 'advance':
              h.clock.advance(c.ms);
              break;
            case 'jump':
              h.clock.jump(c.ms);
              break;
            case 'publish':
              void h.client.publish('room', 1).catch(() => {});
              break;
            case 'ack':
              if (s && s.readyState === 1) {
                const p = s.frames('pub')[0];
                if (p) s.push({ type: 'ack', ref: p.ref, channel: 'room', id: p.id, offset: 1, epoch: 'e1' });
              }
              break;
            case 'reconnectNow':
              h.client.reconnectNow();
              break;
            case 'offline':
              h.lifecycle.emit('offline');
              break;
            case 'online':
              h.lifecycle.emit('online');
              break;
            case 'toggleSub':
              if (off) {
                off();
                off = null;
              } else off = ch.subscribe(() => {});
              break;
            case 'garbage':
              s?.push('{garbage');
              break;
          }
          await Promise.resolve();
          expect(h.live()).toBeLessThanOrEqual(1);
          expect(h.client.stats().outboxDepth).toBeLessThanOrEqual(maxMessages);
          const pos = ch.position?.offset ?? -1;
          expect(pos).toBeGreaterThanOrEqual(lastPos);
          lastPos = pos;
        }
        const closed = h.client.close();
        h.clock.advance(1000);
        await closed;
        expect(h.client.state).toBe('closed');
        expect(h.clock.pending()).toBe(0);
        expect(h.lifecycle.listeners()).toBe(0);
        expect(h.live()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
