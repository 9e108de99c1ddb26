// Trial finding: `lifeline-storm drain --target ws://…` said "scenario drain restarts the
// server", which drain does not do (it drains it for a new node), and `rolling --compare
// full,none --target …` was refused only once the first run started ("run 1/2 (full:hint)
// failed: …"), where every other bad option is refused before anything starts.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli/args';
import { isStormError } from '../src/errors';
import { checkTargetScenario } from '../src/sim/targetScenario';

function refusedWith(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isStormError(e, 'UNSUPPORTED_SCENARIO')) return e.message;
    throw e;
  }
  return 'accepted';
}

const target = ['--target', 'ws://127.0.0.1:9'];

describe('a scenario that needs the embedded server, given --target', () => {
  it.each([
    ['restart', 'kills the server and starts it again'],
    ['drain', 'drains the server for a new node'],
    ['rolling', 'replaces each of its two nodes in turn'],
  ])('%s is refused at parse time saying what it does to the server', (scenario, does) => {
    const message = `scenario ${scenario} ${does}, so it needs the embedded one: drop --target (against an external server: blip, half-open or flaky)`;
    expect(refusedWith(() => parseCommand([scenario, ...target]))).toBe(message);
    expect(refusedWith(() => parseCommand([scenario, ...target, '--compare', 'full,none']))).toBe(message);
  });

  it('blip, half-open and flaky take --target; without it every scenario parses', () => {
    for (const s of ['blip', 'half-open', 'flaky']) expect(refusedWith(() => parseCommand([s, ...target]))).toBe('accepted');
    for (const s of ['restart', 'drain', 'rolling']) expect(refusedWith(() => parseCommand([s]))).toBe('accepted');
  });

  it('the library check says the same (runStorm calls it)', () => {
    expect(refusedWith(() => checkTargetScenario('drain', 'ws://127.0.0.1:9'))).toMatch(/^scenario drain drains the server for a new node, so it needs the embedded one/);
    expect(refusedWith(() => checkTargetScenario('drain', undefined))).toBe('accepted');
  });
});
