// ChannelHub while the broker cannot attach (a Redis outage): subscribers of one channel
// waiting behind a failed attach fail with it, instead of each trying again in turn and
// waiting its own broker timeout (the n-th answered after n timeouts; a crowd reconnecting
// in an outage waited past the client's ack timeout). Found by a presence trial.
import { describe, expect, it } from 'vitest';
import type { Broker } from '../src/broker/types';
import { ChannelHub, type HubSubscriber } from '../src/channelHub';
import { memoryBroker } from '../src/index';

const sub = (): HubSubscriber => ({ onMessage() {}, onPresence() {} });

/** A memory broker whose live-feed attach fails after `ms` while `down`. */
function flakyAttach(ms: number) {
  const inner = memoryBroker();
  const state = { down: true, attempts: 0 };
  const broker: Broker = {
    ...inner,
    async onMessage(channel, listener) {
      state.attempts++;
      await new Promise((r) => setTimeout(r, ms));
      if (state.down) throw new Error('broker unavailable');
      return inner.onMessage(channel, listener);
    },
  };
  return { broker, state, inner };
}

describe('ChannelHub.add during a broker outage', () => {
  it('subscribers queued behind a failed attach fail with it: one broker attempt for all, not one each in turn', async () => {
    const { broker, state, inner } = flakyAttach(30);
    const hub = new ChannelHub(broker);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => hub.add('room', sub())));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(state.attempts).toBe(1);
    expect(hub.size).toBe(0);
    // A subscriber that comes after the failure tries again; the broker is back.
    state.down = false;
    await hub.add('room', sub());
    expect(state.attempts).toBe(2);
    expect(hub.size).toBe(1);
    await inner.close();
  });
});
