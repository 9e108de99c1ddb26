// The examples run the packages' builds (dist/), as an installed package would be run.
// Started before `pnpm build`, Node's answer is a stack trace about a missing
// dist/index.js; this says what to do instead.

/**
 * Awaits `loading` (an `import()` of a workspace package, or a function that `require`s
 * one); when what is missing is a package's build, prints one line naming it and exits 1.
 * Any other error is rethrown.
 */
export async function built(loading) {
  try {
    return await (typeof loading === 'function' ? loading() : loading);
  } catch (error) {
    const notFound = error?.code === 'ERR_MODULE_NOT_FOUND' || error?.code === 'MODULE_NOT_FOUND';
    const missing = notFound && /'([^']*[\\/]dist[\\/][^']*)'/.exec(error.message)?.[1];
    if (!missing) throw error;
    const pkg = /[\\/]((?:packages[\\/]|@lifeline[\\/])[\w-]+)[\\/]dist[\\/]/.exec(missing)?.[1] ?? missing;
    console.error(`examples: ${pkg.replace(/\\/g, '/')} is not built yet: run \`pnpm build\` at the repository root first, then this again`);
    process.exit(1);
  }
}
