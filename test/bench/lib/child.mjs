// Runs one benchmark step in a child node process so its CPU, heap and event loop
// are its own. The child prints `RESULT <json>` once; anything else is passed through
// to stderr for diagnosis. Every child has a hard deadline and is killed after it.
import { spawn } from 'node:child_process';

/**
 * Spawns `node [nodeArgs] script [args]` and resolves with the parsed RESULT object.
 * Rejects on a non-zero exit, a missing RESULT line, or the deadline.
 */
export function runChild(script, args = [], { nodeArgs = [], timeoutMs = 60_000, env = {}, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      cwd,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')}: no result within ${timeoutMs} ms\n${err.slice(-2000)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${script} ${args.join(' ')} exited ${code}\n${out.slice(-1000)}\n${err.slice(-3000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(7)));
    });
  });
}

/**
 * Starts a long-lived helper process (a bench server or load worker) that prints
 * `READY <json>` when listening. Resolves `{ info, stop, result }`: `stop()` kills it
 * and waits for exit; `result()` resolves the `RESULT <json>` line it prints later.
 */
export function startServer(script, args = [], { nodeArgs = [], timeoutMs = 30_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    let ready = false;
    let gotResult;
    let lostResult;
    const resultPromise = new Promise((res, rej) => {
      gotResult = res;
      lostResult = rej;
    });
    resultPromise.catch(() => {});
    const exited = new Promise((r) => child.on('close', r));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${script}: not ready within ${timeoutMs} ms\n${err.slice(-2000)}`));
    }, timeoutMs);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const lines = out.split('\n');
      const line = lines.find((l) => l.startsWith('READY '));
      if (!ready && line) {
        ready = true;
        clearTimeout(timer);
        resolve({ info: JSON.parse(line.slice(6)), stop, stderr: () => err, result: () => resultPromise });
      }
      const result = lines.slice(0, -1).find((l) => l.startsWith('RESULT '));
      if (result) gotResult(JSON.parse(result.slice(7)));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      lostResult(new Error(`${script} exited ${code} without a result\n${err.slice(-3000)}`));
      if (!ready) reject(new Error(`${script} exited ${code} before READY\n${err.slice(-3000)}`));
    });
  });
}

/** Prints the one result line a child is expected to emit, then exits. */
export function emitResult(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

/** Polls `cond` every `everyMs` until it is true or `deadlineMs` passes. */
export async function waitFor(cond, deadlineMs, what, everyMs = 20) {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
