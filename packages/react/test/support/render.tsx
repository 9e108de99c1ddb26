import { StrictMode, type ReactNode } from 'react';
import { render, type RenderResult } from '@testing-library/react';
import { LifelineProvider } from '../../src';
import type { LifelineClient } from '@lifeline/core';

/** Renders `ui` under a provider for `client`, optionally inside <StrictMode>. */
export function renderWithClient(
  client: LifelineClient,
  ui: ReactNode,
  { strict = false, releaseDelayMs }: { strict?: boolean; releaseDelayMs?: number } = {},
): Omit<RenderResult, 'rerender'> & { rerender(next: ReactNode): void } {
  const wrap = (node: ReactNode) => {
    const tree = (
      <LifelineProvider client={client} releaseDelayMs={releaseDelayMs}>
        {node}
      </LifelineProvider>
    );
    return strict ? <StrictMode>{tree}</StrictMode> : tree;
  };
  const result = render(wrap(ui));
  return { ...result, rerender: (next: ReactNode) => result.rerender(wrap(next)) };
}
