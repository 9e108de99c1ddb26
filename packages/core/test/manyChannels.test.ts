// Above 8 channels the client's channel list is appended to in place (it was copied per
// new channel: 20,000 channels took 1.6 s to make). A channel made by a listener while
// the channels are being re-subscribed after a welcome is then reached by that same loop:
// it must still be subscribed exactly once.
import { describe, expect, it } from 'vitest';
import { flushPromises, setup } from './support/harness';

describe('many channels', () => {
  it('each of 40 subscribed channels is re-subscribed once per connection, found by name', async () => {
    const h = setup();
    const names = Array.from({ length: 40 }, (_, i) => `room:${i}`);
    for (const n of names) h.client.channel(n).subscribe(() => {});
    for (const n of names) expect(h.client.channel(n).name).toBe(n);
    h.accept();
    expect(h.sock.frames('sub').map((f) => f.channel).sort()).toEqual([...names].sort());
  });

  it('a channel made and subscribed by a listener during the re-subscription is subscribed once', async () => {
    const h = setup();
    for (let i = 0; i < 12; i++) h.client.channel(`room:${i}`).subscribe(() => {});
    const big = h.client.channel('room:0');
    big.on('error', () => {});
    void big.presence.enter({ pad: 'x'.repeat(500) }).catch(() => {});
    let made = 0;
    h.client.on('error', (e) => {
      if (e.code === 'MESSAGE_TOO_LARGE' && !made++) h.client.channel('late').subscribe(() => {});
    });
    h.accept({ limits: { maxFrameBytes: 200, maxChannels: 100, publishPerSec: 100, publishBurst: 200 } });
    await flushPromises();
    expect(made).toBe(1);
    expect(h.sock.frames('sub').filter((f) => f.channel === 'late').length).toBe(1);
    expect(h.sock.frames('sub').length).toBe(13);
  });
});
