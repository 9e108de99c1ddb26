// A server render on a client whose channel already had a gap (a client kept across
// requests): the server snapshot has no gap, the channel has one, and a hook with `since`
// compared the two through the channel's first-answer gap and read `.to` of null (a
// TypeError that failed the whole render).
import { expect, it } from 'vitest';
import { renderToString } from 'react-dom/server';
import { LifelineProvider, useChannel } from '../src';
import { setup } from '../../core/test/support/harness';

it('a hook with `since` renders on the server, no gap shown, on a client whose channel had one', () => {
  const h = setup();
  h.accept();
  const ch = h.client.channel('room', { since: { offset: 1, epoch: 'e1' } });
  const off = ch.subscribe(() => {});
  h.answerSubs({ room: { offset: 9, epoch: 'e1', recovered: false, reason: 'out-of-retention' } as never });
  expect(ch.getSnapshot().lastGap).not.toBeNull();
  function Feed() {
    const { gap } = useChannel('room', undefined, { since: { offset: 3, epoch: 'e1' } });
    return <p>{gap ? 'gap' : 'no gap'}</p>;
  }
  const html = renderToString(
    <LifelineProvider client={h.client}>
      <Feed />
    </LifelineProvider>,
  );
  expect(html).toContain('no gap');
  off();
});
