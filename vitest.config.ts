import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // core-dist runs core's suites against the built (property-mangled) dist; pnpm test builds first.
    projects: ['packages/*', 'test', 'packages/core/vitest.dist.config.ts'],
  },
});
