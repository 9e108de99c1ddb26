#!/usr/bin/env node
// `pnpm demo`'s build step: the packages' build printed ~130 lines of tsup output before the
// demo's URL when there is no TTY (pnpm collapses it on one). Its output is kept and shown
// only when the build fails, so a failure still says why.
import { spawn } from 'node:child_process';

const started = Date.now();
console.log('lifeline: building the packages (about 30-45 s the first time)…');
const child = spawn('pnpm', ['build'], { stdio: ['ignore', 'pipe', 'pipe'] });
const chunks = [];
child.stdout.on('data', (c) => chunks.push(c));
child.stderr.on('data', (c) => chunks.push(c));
// Ctrl-C reaches the whole foreground group: the build stops by itself, we only report.
child.on('close', (code, signal) => {
  if (code === 0) {
    console.log(`lifeline: packages built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return;
  }
  process.stderr.write(Buffer.concat(chunks));
  console.error(`lifeline: the build failed (${signal ?? `exit ${code}`}); its output is above`);
  process.exit(code || 1);
});
child.on('error', (e) => {
  console.error(`lifeline: could not run pnpm build: ${e.message}`);
  process.exit(1);
});
