import { Component, type ReactNode } from 'react';

/** Shows the caught error as `CODE: message` in `data-testid="error"`. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    const e = this.state.error as { code?: string; message?: string } | null;
    return e ? <p data-testid="error">{`${e.code}: ${e.message}`}</p> : this.props.children;
  }
}
