import { ConnectionBadge } from './ConnectionBadge';
import { DropButton } from './DropButton';
import { MessageList } from './MessageList';
import { Composer } from './Composer';
import { PresenceList } from './PresenceList';

export function App({ room, name }: { room: string; name: string }) {
  return (
    <main>
      <header>
        <h1>
          Lifeline chat <small>#{room}</small>
        </h1>
        <ConnectionBadge />
        <DropButton />
      </header>
      <div className="body">
        <PresenceList room={room} name={name} />
        <section className="chat">
          <MessageList room={room} />
          <Composer room={room} name={name} />
        </section>
      </div>
    </main>
  );
}
