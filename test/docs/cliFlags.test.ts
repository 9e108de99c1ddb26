// The CLI flags the READMEs mention exist, every flag of lifeline-storm is documented
// (README table and --help), and the defaults the table and --help print are the ones
// the code applies (STORM_DEFAULTS, through the CLI's own duration parser).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration, USAGE } from '../../packages/storm/src/cli/args';
import { STORM_DEFAULTS } from '../../packages/storm/src/sim/options';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (p: string) => readFileSync(`${root}${p}`, 'utf8');

/** Option names of a `parseArgs({ options: { … } })` call in a source file, or of the `const OPTIONS = { … } as const` it is given. */
function parseArgsFlags(source: string): string[] {
  const block = (/options:\s*\{([\s\S]*?)\n\s*\},?\n\s*\}\)/.exec(source) ?? /const OPTIONS = \{([\s\S]*?)\n\} as const;/.exec(source))?.[1] ?? '';
  return [...block.matchAll(/'?([a-z][a-z-]*)'?:\s*\{\s*type:/g)].map((m) => m[1]!);
}

const stormFlags = parseArgsFlags(read('packages/storm/src/cli/args.ts'));
const serverFlags = parseArgsFlags(read('packages/server/src/cliArgs.ts'));
/** Flags of other tools the READMEs show: pnpm, vitest, node. */
const OTHER_TOOLS = ['filter', 'project', 'cpu-prof', 'trace-gc', 'max-semi-space-size'];
// Misspelt on purpose: the storm README shows the error a typo gets (`unknown option --clinets`).
const TYPO_EXAMPLES = ['clinets'];

const OWNED_READMES = [
  'README.md',
  'packages/react/README.md',
  'packages/node/README.md',
  'packages/storm/README.md',
  'examples/node-subscriber/README.md',
  'examples/react-chat/README.md',
];

describe('CLI flags in the docs', () => {
  it('finds the flags of both CLIs in their sources', () => {
    expect(stormFlags).toEqual(expect.arrayContaining(['clients', 'compare', 'listen', 'schedule', 'help']));
    expect(serverFlags).toEqual(expect.arrayContaining(['port', 'host', 'broker', 'auth-secret', 'help']));
  });

  it.each(OWNED_READMES)('%s mentions only flags that exist', (readme) => {
    const known = new Set([...stormFlags, ...serverFlags, ...OTHER_TOOLS, ...TYPO_EXAMPLES]);
    const mentioned = [...new Set([...read(readme).matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!))];
    expect(mentioned.filter((f) => !known.has(f))).toEqual([]);
  });

  it('the storm README and --help document every lifeline-storm flag', () => {
    const readme = read('packages/storm/README.md');
    const undocumented = stormFlags.filter((f) => f !== 'help' && !readme.includes(`--${f}`));
    expect(undocumented).toEqual([]);
    expect(stormFlags.filter((f) => !USAGE.includes(`--${f}`))).toEqual([]);
  });

  it('the root README lists every lifeline-server flag but the test-only one', () => {
    const readme = read('README.md');
    expect(serverFlags.filter((f) => f !== 'help' && f !== 'test-faults' && !readme.includes(`--${f}`))).toEqual([]);
  });

  // flag → [STORM_DEFAULTS key, how to read the documented default]
  const DEFAULTS: Record<string, [keyof typeof STORM_DEFAULTS, 'number' | 'duration' | 'word' | 'onoff']> = {
    clients: ['clients', 'number'],
    channels: ['channels', 'number'],
    'publish-rate': ['publishRate', 'number'],
    strategy: ['strategy', 'word'],
    'server-hint': ['serverHint', 'onoff'],
    'admission-rate': ['admissionRate', 'number'],
    seed: ['seed', 'number'],
    duration: ['durationMs', 'duration'],
    down: ['downMs', 'duration'],
    'initial-delay': ['initialDelayMs', 'duration'],
    'max-delay': ['maxDelayMs', 'duration'],
    heartbeat: ['heartbeatMs', 'duration'],
    client: ['client', 'word'],
    broker: ['broker', 'word'],
  };
  const value = (kind: string, flag: string, text: string): unknown => {
    const t = text.replace(/`/g, '').trim().split(/\s/)[0]!.replace(/[;,]$/, '');
    if (kind === 'number') return Number(t);
    if (kind === 'duration') return parseDuration(flag, t);
    if (kind === 'onoff') return t === 'on';
    return t;
  };

  it('the storm README table shows the defaults the code applies', () => {
    const rows = read('packages/storm/README.md')
      .split('\n')
      .filter((l) => l.startsWith('| `--'))
      .map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim()));
    const seen: string[] = [];
    for (const [, option, , dflt] of rows) {
      const flags = [...option!.matchAll(/--([a-z-]+)/g)].map((m) => m[1]!);
      // `--initial-delay T` / `--max-delay T` share a row: `500ms / 30s`.
      const cells = flags.length > 1 ? dflt!.split(' / ') : [dflt!];
      flags.forEach((flag, i) => {
        const spec = DEFAULTS[flag];
        if (!spec) return;
        seen.push(flag);
        expect({ flag, value: value(spec[1], flag, cells[i]!) }).toEqual({ flag, value: STORM_DEFAULTS[spec[0]] });
      });
    }
    expect(seen.sort()).toEqual(Object.keys(DEFAULTS).sort());
  });

  it('--help shows the defaults the code applies', () => {
    for (const [flag, [key, kind]] of Object.entries(DEFAULTS)) {
      // The flag's line and its continuation lines (indented past the flag column).
      const lines = USAGE.split('\n');
      const at = lines.findIndex((l) => l.trimStart().startsWith(`--${flag} `));
      let text = lines[at] ?? '';
      for (let i = at + 1; at >= 0 && i < lines.length && /^\s{10,}[^\s-]/.test(lines[i]!); i++) text += ` ${lines[i]!.trim()}`;
      const shown = /\(default ([^)]*)\)/.exec(text)?.[1];
      if (kind === 'onoff' && shown === undefined) continue;
      expect({ flag, value: shown === undefined ? undefined : value(kind, flag, shown) }).toEqual({ flag, value: STORM_DEFAULTS[key] });
    }
  });
});
