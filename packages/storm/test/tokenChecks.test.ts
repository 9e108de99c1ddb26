// Review of the --token commit: a token that expires mid-run was found out by the run (4101
// closes, clients stopped for good); 401 and 403 publish refusals shared one vague advice;
// the lite client said "cannot be renewed" for a token the server rejected (4100); the
// secret could only be passed on the command line (visible in `ps`); `proxy --token x`
// was accepted and ignored.
import { signToken } from '@lifeline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { isStormError } from '../src/errors';
import { runCompare } from '../src/sim/compare';
import { finalRefusal } from '../src/sim/clients/liteRefusal';
import { longestRunMs, resolveOptions, type StormOptions } from '../src/sim/options';
import { authAdvice, byCodeWithFirst, publishAdvice, runStorm } from '../src/sim/runStorm';
import { Shard } from '../src/sim/shard';
import { checkTokenLifetime, tokenExp } from '../src/sim/tokenExpiry';
import { refusal } from './refusal';

const SECRET = 's';
const at = (expSeconds: number) => signToken({ sub: 'storm', exp: expSeconds }, SECRET);
/** A token whose payload has no exp (signToken would add one); the signature is not read. */
const NO_EXP = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"storm"}').toString('base64url')}.sig`;
// 8 clients at 0.8 × 1000/s: the warm-up waits at most 10 ms + 30 s; + 0.5 s + 5 s + 5 s of tail.
const base: StormOptions = { scenario: 'blip', target: 'ws://127.0.0.1:9', clients: 8, durationMs: 5000, workers: 0 };
const NOW = 1_800_000_000_000;

describe('a token that expires before the run could end', () => {
  it('reads exp from the payload without checking the signature; none readable is null', () => {
    expect(tokenExp(at(1_900_000_000))).toBe(1_900_000_000);
    expect(tokenExp(signToken({ sub: 'x', exp: 1_900_000_000.5 }, 'any other secret'))).toBe(1_900_000_000.5);
    expect(tokenExp(NO_EXP)).toBeNull();
    expect(tokenExp('not-a-jwt')).toBeNull();
    expect(tokenExp('a.!!!.c')).toBeNull();
    expect(tokenExp(`a.${Buffer.from('{"exp":"soon"}').toString('base64url')}.c`)).toBeNull();
  });

  it('the longest run is the warm-up limit + 500 ms + duration + 5 s of tail', () => {
    expect(longestRunMs(resolveOptions(base))).toBe(Math.ceil((8 / 800) * 1000 + 30_000 + 500 + 5000 + 5000));
  });

  it('refused (BAD_OPTION) when exp comes before the run could end, with the figures; accepted when it outlives it; unchecked without exp', () => {
    const o = (token: string) => resolveOptions({ ...base, token });
    const need = longestRunMs(resolveOptions(base));
    const m = refusal(() => checkTokenLifetime(o(at((NOW + need - 1000) / 1000)), 1, NOW));
    expect(m).toMatch(/^the token \(--token\) expires in 39\.5 s \(exp .*Z\), before the run could end: up to 40\.5 s \(warm-up up to 30 s, 0\.5 s of traffic before the fault, duration 5 s, tail up to 5 s\)/);
    expect(m).toContain('sign one that outlives the run');
    expect(refusal(() => checkTokenLifetime(o(at((NOW - 60_000) / 1000)), 1, NOW))).toMatch(/^the token \(--token\) expired 60 s ago/);
    expect(refusal(() => checkTokenLifetime(o(at((NOW + need) / 1000)), 1, NOW))).toBe('accepted');
    expect(refusal(() => checkTokenLifetime(o(NO_EXP), 1, NOW))).toBe('accepted');
    expect(refusal(() => checkTokenLifetime(o('opaque-token'), 1, NOW))).toBe('accepted');
    // A comparison runs one after the other: the token must last all of them.
    expect(refusal(() => checkTokenLifetime(o(at((NOW + 2 * need) / 1000)), 3, NOW))).toMatch(/up to 121\.5 s \(.*; × 3 runs of the comparison\)/);
    expect(refusal(() => checkTokenLifetime(o(at((NOW + 3 * need) / 1000)), 3, NOW))).toBe('accepted');
  });

  it('runStorm and runCompare refuse it before anything starts (the target is not even reached)', async () => {
    const need = longestRunMs(resolveOptions(base));
    const soon = at(Math.floor((Date.now() + need / 2) / 1000));
    const err = await runStorm({ ...base, token: soon }).then(() => null, (e: unknown) => e);
    expect(isStormError(err, 'BAD_OPTION'), String(err)).toBe(true);
    // Enough for one run, not for two: the comparison is refused as a whole, not run 2 of 2.
    const one = at(Math.floor((Date.now() + need * 1.5) / 1000));
    const cmp = await runCompare({ ...base, token: one }, [{ strategy: 'full', serverHint: true }, { strategy: 'none', serverHint: true }]).then(() => null, (e: unknown) => e);
    expect(isStormError(cmp, 'BAD_OPTION'), String(cmp)).toBe(true);
    expect((cmp as Error).message).toContain('× 2 runs of the comparison');
  });
});

describe('advice', () => {
  it('publishes refused with 401 and with 403 each get their own', () => {
    expect(publishAdvice({ 401: 3 }, 'tok')).toBe('401: the --token was refused (its signature) or has expired (its exp)');
    expect(publishAdvice({ 403: 2 }, 'tok')).toBe('403: the --token\'s publish claim does not cover the storm:* channels');
    expect(publishAdvice({ 401: 1, 403: 1 }, 'tok')).toBe('401: the --token was refused (its signature) or has expired (its exp); 403: the --token\'s publish claim does not cover the storm:* channels');
    expect(publishAdvice({ 401: 1 }, undefined)).toBe('401: the server wants a token: pass --token');
    expect(publishAdvice({ 500: 1 }, 'tok')).toBe('');
  });

  it('AUTH_FAILED advice no longer speaks of the subscribe claim (a claim never causes AUTH_FAILED)', () => {
    const a = authAdvice('AUTH_FAILED: token rejected (4100): the server rejected the --token', 'tok');
    expect(a).toContain('the server refused the --token given');
    expect(a).not.toContain('subscribe');
  });

  it('the lite client: 4100 with a token is the server rejecting it, 4101 a static token that cannot be renewed', () => {
    expect(finalRefusal(4100, '', null, true)).toEqual({ code: 'AUTH_FAILED', message: 'token rejected (4100): the server rejected the --token' });
    expect(finalRefusal(4101, '', null, true)).toEqual({ code: 'AUTH_FAILED', message: 'token expired (4101): its token is static (--token) and cannot be renewed' });
    expect(finalRefusal(4100, '', null, false)).toEqual({ code: 'AUTH_FAILED', message: 'token rejected (4100): no token was given (--token)' });
  });

  it('client errors by code carry the first message of each', () => {
    expect(byCodeWithFirst({ SERVER_ERROR: 4, AUTH_FAILED: 1 }, { SERVER_ERROR: 'FORBIDDEN: token does not allow subscribe on storm:1:a:0', AUTH_FAILED: 'x' })).toBe(
      'SERVER_ERROR×4 (first: FORBIDDEN: token does not allow subscribe on storm:1:a:0), AUTH_FAILED×1 (first: x)',
    );
    expect(byCodeWithFirst({}, {})).toBe('none');
  });
});

describe('the shard keeps the first message per client error code, and the first FORBIDDEN', () => {
  let shard: Shard | null = null;
  afterEach(async () => {
    await shard?.close();
    shard = null;
  });

  it('in its report (warm-up and after the fault apart) and its status', async () => {
    const emit: ((code: string, message: string) => void)[] = [];
    shard = new Shard(
      { targets: ['ws://127.0.0.1:9'], from: 0, to: 2, channels: ['c'], strategy: 'full', serverHint: true, initialDelayMs: 100, maxDelayMs: 100, seed: 1, client: 'custom', connectRate: 1000, direct: true },
      (spec) => {
        emit.push((code, message) => spec.hooks.onError?.(code, message, false));
        return { isReady: () => false, setUrl: () => {}, close: async () => {} };
      },
    );
    await shard.start();
    expect(emit.length).toBe(2);
    emit[0]!('SERVER_ERROR', 'FORBIDDEN: token does not allow subscribe on c');
    emit[1]!('SERVER_ERROR', 'RATE_LIMITED: slow down');
    expect(shard.status().forbidden).toBe('FORBIDDEN: token does not allow subscribe on c');
    shard.markFault();
    emit[1]!('SERVER_ERROR', 'RATE_LIMITED: later');
    const r = shard.collect([[]]);
    expect(r.warmup.clientErrors).toEqual({ SERVER_ERROR: 2 });
    expect(r.warmup.clientErrorMessages).toEqual({ SERVER_ERROR: 'FORBIDDEN: token does not allow subscribe on c' });
    expect(r.clientErrorMessages).toEqual({ SERVER_ERROR: 'RATE_LIMITED: later' });
  });
});

describe('the token from LIFELINE_STORM_TOKEN (out of ps)', () => {
  const T = 'LIFELINE_STORM_TOKEN';
  it('used when --token is not given, with --target only; --token wins', () => {
    const cmd = parseCommand(['blip', '--target', 'ws://127.0.0.1:9'], { [T]: 'env.tok.en' });
    expect(cmd.kind === 'storm' && cmd.options.token).toBe('env.tok.en');
    const flag = parseCommand(['blip', '--target', 'ws://127.0.0.1:9', '--token', 'flag.tok.en'], { [T]: 'env.tok.en' });
    expect(flag.kind === 'storm' && flag.options.token).toBe('flag.tok.en');
    const none = parseCommand(['blip', '--target', 'ws://127.0.0.1:9'], {});
    expect(none.kind === 'storm' && 'token' in none.options).toBe(false);
  });

  it('the same rules as --token, naming the variable', () => {
    expect(refusal(() => parseCommand(['blip'], { [T]: 'env.tok.en' }))).toBe(
      'LIFELINE_STORM_TOKEN is for an external server started with --auth-secret (--target); the embedded server checks no token: unset LIFELINE_STORM_TOKEN or add --target',
    );
    expect(refusal(() => parseCommand(['blip', '--target', 'ws://127.0.0.1:9'], { [T]: ' ' }))).toBe('LIFELINE_STORM_TOKEN needs a JWT, got " "');
  });
});
