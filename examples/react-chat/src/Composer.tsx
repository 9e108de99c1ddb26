import { useState, type FormEvent } from 'react';
import { useChannel } from '@lifeline/react';
import type { ChatMessage } from './chatMessage';

/** Publishes typed messages. Sends made while offline are queued by core and flushed in order. */
export function Composer({ room, name }: { room: string; name: string }) {
  const { publish } = useChannel<ChatMessage>(room);
  const [text, setText] = useState('');
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const send = (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setText('');
    // A failure is about one message: the next send starts without it (it stayed forever).
    setError(null);
    setPending((n) => n + 1);
    publish({ from: name, text })
      .catch((err: Error) => setError(`not sent: "${text}" (${err.message})`))
      .finally(() => setPending((n) => n - 1));
  };

  return (
    <form className="composer" onSubmit={send}>
      <input
        data-testid="input"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={`Message as ${name}`}
        autoFocus
      />
      <button type="submit" data-testid="send">
        Send
      </button>
      <span className="pending" data-testid="pending">
        {pending > 0 ? `${pending} waiting for ack` : ''}
      </span>
      {error && <p className="error">{error}</p>}
    </form>
  );
}
