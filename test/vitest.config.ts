import { defineProject } from 'vitest/config';
import { workspaceAlias } from '../vitest.shared.ts';

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    name: 'integration',
    environment: 'node',
    include: ['**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', 'bench/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
