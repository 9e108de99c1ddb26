import ts from 'typescript';

/**
 * A TypeScript program over one file that exists only in memory: `source` at path `entry`
 * (its relative imports resolve from there), compiled with `options`.
 */
export function programOf(entry: string, source: string, options: ts.CompilerOptions): ts.Program {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === entry ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === entry || fileExists(name);
  return ts.createProgram([entry], options, host);
}
