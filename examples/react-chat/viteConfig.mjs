// Shared by `vite` (vite.config.mjs), the demo and the browser test.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';

const workspace = (p) => fileURLToPath(new URL(`../../packages/${p}`, import.meta.url));

/** Vite config of the chat. It builds against the workspace sources so it never lags a package build. */
export function viteConfig() {
  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    plugins: [react()],
    resolve: {
      alias: [
        { find: /^@lifeline\/core\/protocol$/, replacement: workspace('core/src/protocol/index.ts') },
        { find: /^@lifeline\/core$/, replacement: workspace('core/src/index.ts') },
        { find: /^@lifeline\/react$/, replacement: workspace('react/src/index.ts') },
      ],
    },
  };
}
