/** Serves the built chat on 127.0.0.1; see serve.mjs. */
export function serveApp(options: {
  root: string;
  port?: number;
  onDrop?: () => void | Promise<void>;
  defaultQuery?: Record<string, string>;
}): Promise<{ url: string; close(): Promise<void> }>;
