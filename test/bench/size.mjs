#!/usr/bin/env node
// Bundle-size table: every SDK bundled the same way (esbuild, minified ESM for the
// browser, gzip -9), everything the package exports kept alive.
// Run alone with `node test/bench/size.mjs` after `pnpm build`.
import { pathToFileURL } from 'node:url';
import { measureBundle, sizeTargets, versionOf } from './lib/bundle.mjs';
import { fmt, markdownTable, textTable } from './lib/stats.mjs';

/** Measures every target; sizes are deterministic, so one run is enough. */
export async function runSize() {
  const rows = [];
  for (const t of sizeTargets) {
    const pkg = t.pkg ?? t.name;
    try {
      const m = await measureBundle(t.source, { external: t.external });
      rows.push({ name: t.name, version: versionOf(pkg), ...m, onTopOf: t.onTopOf, peer: !!t.peer });
    } catch (error) {
      rows.push({ name: t.name, version: versionOf(pkg), error: String(error.message ?? error).split('\n')[0] });
    }
  }
  for (const r of rows) {
    const base = r.onTopOf && rows.find((x) => x.name === r.onTopOf);
    if (base && !r.error && !base.error) r.gzipOnTop = r.gzipBytes - base.gzipBytes;
  }
  return rows;
}

/** Markdown/text table of `runSize()` rows. */
export function sizeTable(rows, render = markdownTable) {
  const kb = (b) => fmt(b / 1024, 1);
  const core = rows.find((r) => r.name === '@lifeline/core');
  return render(
    ['package', 'version', 'min KB', 'min+gzip KB', 'vs core', 'node built-ins'],
    rows.map((r) =>
      r.error
        ? [r.name, r.version, '—', '—', '—', `build failed: ${r.error}`]
        : [
            r.name,
            r.version,
            kb(r.minBytes),
            r.gzipOnTop !== undefined ? `${kb(r.gzipBytes)} (${kb(r.gzipOnTop)} on top of core)` : kb(r.gzipBytes),
            core && !core.error ? `${(r.gzipBytes / core.gzipBytes).toFixed(2)}×` : '—',
            r.nodeImports.length ? r.nodeImports.join(', ') : 'none',
          ],
    ),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runSize();
  console.log(sizeTable(rows, textTable));
}
