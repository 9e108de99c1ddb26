#!/usr/bin/env node
// Committed shim so the bin exists at install time, before dist/ is built. A static import
// of a missing dist/cli.js failed with a raw ERR_MODULE_NOT_FOUND stack that did not say why.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('lifeline-storm is not built: run `pnpm build` (or `pnpm --filter @lifeline/storm build`)');
  process.exit(1);
}
await import(cli.href);
