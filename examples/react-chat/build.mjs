// Builds the chat into `outDir` (default ./dist). Usable as a module or a script:
//   node examples/react-chat/build.mjs [outDir]
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { build } from 'vite';
import { viteConfig } from './viteConfig.mjs';

export async function buildApp(outDir = fileURLToPath(new URL('./dist', import.meta.url))) {
  await build({
    ...viteConfig(),
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = await buildApp(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`react-chat: built into ${outDir}`);
}
