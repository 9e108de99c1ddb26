import type { TokenSource } from './types';

/** Where a client keeps its token state (fields of the client: no object of its own; the client's `_open` asks for the token). */
export interface TokenHolder {
  _token: TokenSource | undefined;
  /** The token function's answer in flight, shared by concurrent askers. */
  _tokenPending?: Promise<string | undefined> | null;
  /** The token the connection runs under: its handshake's, or the last one the server took in band (`authed`). */
  _tokenLast?: string;
}
