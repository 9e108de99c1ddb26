// What the results were measured on: machine, runtime and every package version.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { versionOf } from './bundle.mjs';

const lifelinePackages = ['core', 'react', 'node', 'server', 'storm'];
const peers = ['ws', 'socket.io', 'socket.io-client', 'partysocket', 'reconnecting-websocket', 'centrifuge', 'phoenix', 'pusher-js', 'ably'];

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAvg: os.loadavg().map((l) => l.toFixed(2)).join(' / '),
    date: new Date().toISOString(),
    commit: gitCommit(),
  };
}

/** The workspace commit measured (with "+dirty" when the tree has local changes). */
function gitCommit() {
  try {
    const opts = { cwd: new URL('../../..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], opts).toString().trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function versions() {
  const out = {};
  for (const p of lifelinePackages) {
    const pkg = JSON.parse(readFileSync(new URL(`../../../packages/${p}/package.json`, import.meta.url), 'utf8'));
    out[pkg.name] = pkg.version;
  }
  for (const p of peers) out[p] = versionOf(p);
  return out;
}
