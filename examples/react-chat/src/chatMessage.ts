/** What the chat publishes on a room channel. */
export interface ChatMessage {
  from: string;
  text: string;
}

/** Messages come from the network: never trust their shape. */
export function asChatMessage(data: unknown): ChatMessage {
  const d = (data ?? {}) as Partial<ChatMessage>;
  return { from: String(d.from ?? '?'), text: String(d.text ?? JSON.stringify(data)) };
}
