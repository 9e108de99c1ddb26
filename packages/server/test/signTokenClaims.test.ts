import { describe, expect, it } from 'vitest';
import { signToken, verifyToken, type SignTokenClaims } from '../src/index';
import { allows } from '../src/auth';

// A missing `subscribe` or `publish` claim means every channel, so `subscibe` minted a token
// allowed everywhere (signToken's parameter took any extra key); `subscribe: 'a:*'` was signed
// and then every connection with it was refused at verify ("subscribe must be string[]").

const SECRET = 'z'.repeat(40);
const claimsOf = (token: string) => {
  const r = verifyToken(token, SECRET, Date.now());
  if (!r.ok) throw new Error(r.message);
  return r.claims;
};

describe('signToken refuses a claim name that looks like a misspelt Lifeline claim', () => {
  it.each([
    ['subscibe', 'subscribe'],
    ['publsh', 'publish'],
    ['Subscribe', 'subscribe'],
    ['PUBLISH', 'publish'],
    ['subscriptions', 'subscribe'],
    ['subscribes', 'subscribe'],
    ['publisher', 'publish'],
    ['pub', 'publish'],
    ['subs', 'subscribe'],
    ['Sub', 'sub'],
    ['EXP', 'exp'],
    ['expiresIn', 'exp'],
    ['subject', 'sub'],
    ['notBefore', 'nbf'],
  ])('%s: TypeError naming %s', (key, meant) => {
    // Without the claim it resembles: beside it, a name like it is the app's own claim.
    const sign = () => signToken({ [key]: ['tenant-a:*'] }, SECRET);
    expect(sign).toThrow(TypeError);
    expect(sign).toThrow(`signToken: claim "${key}" is not a Lifeline claim (did you mean ${meant}?)`);
  });

  it('says what the typo would have done for subscribe and publish, and refuses it even when undefined', () => {
    expect(() => signToken({ sub: 'a', subscibe: ['a:*'] }, SECRET)).toThrow(/without subscribe the token may subscribe on every channel/);
    expect(() => signToken({ sub: 'a', publsh: undefined }, SECRET)).toThrow(/did you mean publish\?/);
  });

  it('a name like a Lifeline claim is the app\'s own beside that claim, and says how when it is refused', () => {
    const own = { subscriptionId: 's-1', subscriptionTier: 'pro', publishedAt: 5 };
    const claims = claimsOf(signToken({ sub: 'a', subscribe: ['a:*'], publish: ['a:*'], ...own }, SECRET));
    expect(claims).toMatchObject(own);
    expect(() => signToken({ sub: 'a', subscriptionId: 's-1' }, SECRET)).toThrow(/did you mean subscribe\?.*; to sign it as a claim of your own, give subscribe too/);
    // Three-letter names by case alone: one edit from sub, exp or nbf is a claim of its own.
    expect(claimsOf(signToken({ hub: 'h', ext: 1, su: 'x', ex: 2, nfb: 3 }, SECRET))).toMatchObject({ hub: 'h', ext: 1, su: 'x', ex: 2, nfb: 3 });
  });

  it('custom and registered JWT claims are signed as given', () => {
    const custom = { role: 'admin', tenant: 't1', iat: 1, iss: 'me', aud: 'you', jti: 'j1', sid: 's1', typ: 'x', scope: 'read', user: 'u', org: 'o' };
    const claims = claimsOf(signToken({ sub: 'a', exp: 2_000_000_000, publish: ['a:*'], ...custom }, SECRET));
    expect(claims).toEqual({ sub: 'a', exp: 2_000_000_000, publish: ['a:*'], ...custom });
    // The repro's token, spelt right, stays within its tenant.
    const scoped = claimsOf(signToken({ sub: 'tenant-a', subscribe: ['tenant-a:*'], publish: ['tenant-a:*'] }, SECRET));
    expect(allows(scoped, 'publish', 'tenant-b:secrets')).toBe(false);
    expect(allows(scoped, 'subscribe', 'tenant-a:x')).toBe(true);
  });
});

describe('signToken checks the Lifeline claims as verifyToken will', () => {
  it.each<[string, SignTokenClaims, RegExp]>([
    ['subscribe as a string', { subscribe: 'a:*' as never }, /^signToken: subscribe must be an array of channel patterns \(string\[\]\), got "a:\*"$/],
    ['publish with a number', { publish: ['a', 1] as never }, /^signToken: publish must be an array of channel patterns/],
    ['sub as a number', { sub: 5 as never }, /^signToken: sub must be a string, got 5$/],
    ['sub as null', { sub: null as never }, /^signToken: sub must be a string, got null$/],
    ['exp as a string', { exp: '2000000000' as never }, /^signToken: exp must be a finite number/],
    ['exp NaN', { exp: NaN }, /^signToken: exp must be a finite number/],
    ['exp Infinity', { exp: Infinity }, /^signToken: exp must be a finite number/],
    ['nbf as a string', { nbf: 'soon' as never }, /^signToken: nbf must be a finite number/],
  ])('%s: TypeError', (_name, claims, message) => {
    expect(() => signToken(claims, SECRET)).toThrow(TypeError);
    expect(() => signToken(claims, SECRET)).toThrow(message);
  });

  it('claims that are not an object: TypeError (null signed an unrestricted token)', () => {
    expect(() => signToken(null as never, SECRET)).toThrow(/^signToken: claims must be an object, got null$/);
    expect(() => signToken(['a'] as never, SECRET)).toThrow(/claims must be an object, got an array/);
  });

  it('undefined is "not given" for every claim; a token it signs verifies', () => {
    const claims = claimsOf(signToken({ sub: 'a', exp: undefined, nbf: undefined, subscribe: undefined, publish: undefined }, SECRET));
    expect(Object.keys(claims).sort()).toEqual(['exp', 'sub']);
    const empty = claimsOf(signToken({ sub: undefined, subscribe: [], publish: [] }, SECRET));
    expect(empty).toMatchObject({ subscribe: [], publish: [] });
    expect(empty.sub).toBeUndefined();
    // Readonly pattern lists are accepted (an `as const` list of grants).
    const grants = ['room:*'] as const;
    expect(claimsOf(signToken({ subscribe: grants, nbf: 1 }, SECRET))).toMatchObject({ subscribe: ['room:*'], nbf: 1 });
  });
});
