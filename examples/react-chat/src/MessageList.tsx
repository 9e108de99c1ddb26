import { useEffect, useRef } from 'react';
import { useChannelMessages } from '@lifeline/react';
import { asChatMessage } from './chatMessage';

export function MessageList({ room }: { room: string }) {
  const { messages, gap, error, retry } = useChannelMessages(room, { limit: 500 });
  const end = useRef<HTMLLIElement>(null);
  // Braces matter: newer Chromium returns a Promise from scrollIntoView, and an
  // effect must return nothing or a cleanup function.
  useEffect(() => {
    void end.current?.scrollIntoView?.({ block: 'end' });
  }, [messages]);
  return (
    <>
      {gap && (
        <p className="warning" data-testid="gap">
          Some messages could not be recovered ({gap.reason}); showing what follows.
        </p>
      )}
      {/* Set while the server refuses the subscription (state 'failed'): core does not
          retry a refusal for good by itself, so offer it. */}
      {error && (
        <p className="error" data-testid="channel-error">
          Not subscribed to #{room}: {error.message}{' '}
          <button type="button" data-testid="retry" onClick={retry}>
            Retry
          </button>
        </p>
      )}
      <ol className="messages" data-testid="messages">
        {messages.map((m) => {
          const { from, text } = asChatMessage(m.data);
          return (
            <li key={`${m.epoch}:${m.offset}`} data-testid="message" data-offset={m.offset}>
              <b>{from}</b>
              <span className="text">{text}</span>
              <small>#{m.offset}</small>
            </li>
          );
        })}
        <li ref={end} aria-hidden className="end" />
      </ol>
    </>
  );
}
