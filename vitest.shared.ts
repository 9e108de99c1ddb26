// Tests import workspace packages from source, so a change in core is seen by the
// server's and react's suites without a rebuild. Packaging checks use dist instead.
import { fileURLToPath } from 'node:url';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

export const workspaceAlias = [
  { find: /^@lifeline\/core\/protocol$/, replacement: src('core/src/protocol/index.ts') },
  { find: /^@lifeline\/core\/testing$/, replacement: src('core/src/testing.ts') },
  { find: /^@lifeline\/core$/, replacement: src('core/src/index.ts') },
  { find: /^@lifeline\/react$/, replacement: src('react/src/index.ts') },
  { find: /^@lifeline\/node$/, replacement: src('node/src/index.ts') },
  { find: /^@lifeline\/server$/, replacement: src('server/src/index.ts') },
  { find: /^@lifeline\/storm$/, replacement: src('storm/src/index.ts') },
];
