// Type-checks the ```ts / ```tsx blocks of the READMEs against the packages' sources, so
// a renamed option, a wrong signature or a missing export in a snippet users copy fails
// here. One TypeScript program for every snippet (a few seconds).
//
// - A block is a module of its own (`export {}` is appended); free names the snippets
//   use on purpose (`render`, `charge`, `Order`, the hooks in the React reference…)
//   are declared in PRELUDE below.
// - A block made only of bodiless function signatures and interfaces (the reference
//   sections) is checked as documentation of the real export: each documented function
//   must accept the real one (`const f: typeof Doc.f = real.f`), each documented
//   interface must be mutually assignable with the real one.
// - `<!-- snippet: skip (reason) -->` right before a block skips it; skips are printed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const virtualDir = `${root}test/docs/.snippets/`;

const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/react/README.md',
  'packages/node/README.md',
  'packages/storm/README.md',
  ...readdirSync(`${root}examples`, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${root}examples/${d.name}/README.md`))
    .map((d) => `examples/${d.name}/README.md`),
];

/** The package a README's signature blocks document. */
const PACKAGE_OF: Record<string, string> = {
  'packages/core/README.md': '@lifeline/core',
  'packages/react/README.md': '@lifeline/react',
  'packages/node/README.md': '@lifeline/node',
  'packages/storm/README.md': '@lifeline/storm',
};

/** Names a signature block may use without declaring them (as the surrounding prose does). */
const SIGNATURE_TYPES: Record<string, string[]> = {
  react: ['ReactElement', 'ReactNode'],
  '@lifeline/core': [
    'Channel', 'ChannelOptions', 'ChannelState', 'ClientOptions', 'ConnectionSnapshot', 'GapEvent',
    'LifelineClient', 'LifelineError', 'Message', 'Position', 'PresenceMember', 'PublishOptions', 'PublishResult',
  ],
  '@lifeline/react': ['LifelineProviderProps', 'UseChannelResult', 'UseChannelMessagesOptions', 'UseChannelMessagesResult', 'UsePresenceOptions'],
  '@lifeline/node': ['NodeClient', 'NodeClientOptions', 'CheckpointStore', 'MessagesOptions', 'ConsumeOptions', 'DrainOptions', 'DrainResult'],
  '@lifeline/storm': ['StormOptions', 'RunResult', 'ChaosProxy', 'ChaosProxyOptions', 'ChaosStep'],
};

/** Free names used by the snippets on purpose: the app code around them. */
const PRELUDE = `
declare function render(data: unknown): void;
declare function fetchToken(): Promise<string>;
declare function getToken(): Promise<string>;
declare function refetch(from: unknown, to: unknown, reason: string): void;
declare function refetchHistory(from: unknown, to: unknown, reason: string): void;
interface Order { id: string; total: number }
declare function charge(order: Order): Promise<void>;
declare function handle(order: Order): Promise<void>;
type ChatMessage = { from: string; text: string };
declare const signal: AbortSignal;
declare const logger: { warn(msg: string, meta?: unknown): void };
declare const dlq: { put(msg: unknown, error: unknown, attempts: number): Promise<void> };
declare const db: {
  tx(fn: (tx: { insertPayment(order: Order): Promise<void>; upsert(table: string, row: object): Promise<void> }) => Promise<void>): Promise<void>;
};
// packages/node/README.md: the client and channel of the first example.
declare const client: import('@lifeline/node').NodeClient;
declare const channel: import('@lifeline/node').NodeChannel<Order>;
// packages/react/README.md: the reference examples use the hooks imported in the quick start.
declare const useState: typeof import('react').useState;
declare const useConnectionState: typeof import('@lifeline/react').useConnectionState;
declare const useChannel: typeof import('@lifeline/react').useChannel;
declare const useChannelMessages: typeof import('@lifeline/react').useChannelMessages;
declare const usePresence: typeof import('@lifeline/react').usePresence;
`;

interface Snippet {
  readme: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'ts' | 'tsx';
  code: string;
  skip: string | null;
}

const SKIP = /<!--\s*snippet:\s*skip\s*\((.*)\)\s*-->/;

export function extractSnippets(readme: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|tsx|typescript)\s*$/.exec(lines[i]!);
    if (!open) {
      // Skip over other fenced blocks so their content is never read as a fence.
      const other = /^(\s*)```\S*\s*$/.exec(lines[i]!);
      if (other) while (++i < lines.length && !/^\s*```\s*$/.test(lines[i]!));
      continue;
    }
    const indent = open[1]!.length;
    let j = i - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const skip = j >= 0 ? (SKIP.exec(lines[j]!)?.[1] ?? null) : null;
    const body: string[] = [];
    let k = i + 1;
    for (; k < lines.length && !/^\s*```\s*$/.test(lines[k]!); k++) body.push(lines[k]!.slice(Math.min(indent, lines[k]!.search(/\S|$/))));
    if (k === lines.length) throw new Error(`${readme}:${i + 1}: unclosed code block`);
    out.push({ readme, line: i + 1, lang: open[2] === 'tsx' ? 'tsx' : 'ts', code: body.join('\n'), skip });
    i = k;
  }
  return out;
}

/** True for a block of bodiless function signatures and interfaces (a reference section). */
function isSignatureBlock(code: string): boolean {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return (
    sf.statements.length > 0 &&
    sf.statements.every(
      (s) => (ts.isFunctionDeclaration(s) && !s.body) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s),
    )
  );
}

interface VirtualFile {
  name: string;
  text: string;
  /** Virtual line (0-based) → README line (1-based), for the snippet's own lines. */
  readmeLine: (virtualLine: number) => number;
}

function signatureFile(s: Snippet, name: string): VirtualFile {
  const pkg = PACKAGE_OF[s.readme];
  if (!pkg) throw new Error(`${s.readme}:${s.line}: a signature block in a README without a package (add it to PACKAGE_OF)`);
  const sf = ts.createSourceFile('x.ts', s.code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const declared = new Set<string>();
  const checks: string[] = [];
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name && !declared.has(st.name.text)) {
      declared.add(st.name.text);
      // The documented signature must accept the real function.
      checks.push(`const __fn_${st.name.text}: typeof Doc.${st.name.text} = real.${st.name.text};`);
    } else if (ts.isInterfaceDeclaration(st) && SIGNATURE_TYPES[pkg]!.includes(st.name.text)) {
      const n = st.name.text;
      const args = st.typeParameters?.length ? `<${st.typeParameters.map(() => 'unknown').join(', ')}>` : '';
      checks.push(
        `declare const __doc_${n}: Doc.${n}${args};`,
        `const __toReal_${n}: real.${n}${args} = __doc_${n};`,
        `declare const __real_${n}: real.${n}${args};`,
        `const __toDoc_${n}: Doc.${n}${args} = __real_${n};`,
      );
    }
  }
  const header = [
    ...Object.entries(SIGNATURE_TYPES).map(([mod, names]) => `import type { ${names.join(', ')} } from '${mod}';`),
    `import * as real from '${pkg}';`,
    'declare namespace Doc {',
  ];
  const text = [...header, s.code, '}', ...checks, 'export {};', ''].join('\n');
  return { name, text, readmeLine: (v) => s.line + (v - header.length) + 1 };
}

const snippets = READMES.flatMap((readme) => extractSnippets(readme, readFileSync(`${root}${readme}`, 'utf8')));
const checked = snippets.filter((s) => s.skip === null);
const label = (s: Snippet) => `${s.readme}:${s.line}`;

/** A snippet that must fail: proves the harness reports errors at all. */
const CANARY: Snippet = {
  readme: '(canary)',
  line: 0,
  lang: 'ts',
  code: "import { useChanel } from '@lifeline/react';\nuseChanel('x');",
  skip: null,
};

let errorsBySnippet = new Map<Snippet, string[]>();

function typeCheck(list: Snippet[]): Map<Snippet, string[]> {
  const config = ts.readConfigFile(`${root}tsconfig.base.json`, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, skipLibCheck: true };
  const files = new Map<string, VirtualFile>();
  const fileOf = new Map<Snippet, VirtualFile>();
  files.set(`${virtualDir}prelude.d.ts`, { name: `${virtualDir}prelude.d.ts`, text: PRELUDE, readmeLine: (v) => v + 1 });
  list.forEach((s, i) => {
    const slug = s.readme.replace(/[^A-Za-z0-9]+/g, '_');
    const name = `${virtualDir}${slug}_L${s.line}_${i}.${s.lang}`;
    const vf = isSignatureBlock(s.code)
      ? signatureFile(s, name)
      : { name, text: `${s.code}\nexport {};\n`, readmeLine: (v: number) => s.line + v + 1 };
    files.set(name, vf);
    fileOf.set(s, vf);
  });
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f)?.text ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, onError, create) => {
    const v = files.get(f);
    return v ? ts.createSourceFile(f, v.text, lang, true) : getSourceFile.call(host, f, lang, onError, create);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const out = new Map<Snippet, string[]>();
  const prelude = program.getSourceFile(`${virtualDir}prelude.d.ts`)!;
  const preludeErrors = [...program.getSyntacticDiagnostics(prelude), ...program.getSemanticDiagnostics(prelude)];
  if (preludeErrors.length) throw new Error(`prelude: ${ts.formatDiagnostics(preludeErrors, host)}`);
  for (const [s, vf] of fileOf) {
    const sf = program.getSourceFile(vf.name)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    out.set(
      s,
      diagnostics.map((d) => {
        const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
        return `${s.readme}:${vf.readmeLine(line)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n  ')}`;
      }),
    );
  }
  return out;
}

describe('README code blocks type-check against the packages', () => {
  beforeAll(() => {
    for (const s of snippets.filter((x) => x.skip !== null)) console.info(`skipped ${label(s)}: ${s.skip}`);
    errorsBySnippet = typeCheck([...checked, CANARY]);
  }, 60_000);

  it('finds the blocks (a broken extractor must not pass vacuously)', () => {
    expect(READMES.length).toBeGreaterThanOrEqual(6);
    expect(checked.length).toBeGreaterThanOrEqual(20);
  });

  it('reports an error for a snippet that is wrong (the check is live)', () => {
    expect(errorsBySnippet.get(CANARY)!.join('\n')).toMatch(/useChanel/);
  });

  it.each(checked.map((s) => [label(s), s] as const))('%s', (_label, s) => {
    expect(errorsBySnippet.get(s)).toEqual([]);
  });

  for (const s of snippets.filter((x) => x.skip !== null)) it.skip(`${label(s)} (skipped: ${s.skip})`, () => {});
});
