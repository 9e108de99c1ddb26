// Types for bundle.mjs, which test/packaging/size-budget.test.ts imports.
export interface BundleMeasurement {
  /** Bytes of the minified bundle. */
  minBytes: number;
  /** Bytes after gzip -9. */
  gzipBytes: number;
  /** `node:*` or built-in module specifiers the bundle still imports (should be none). */
  nodeImports: string[];
  /** Every input file esbuild bundled, relative to the working directory. */
  inputs: string[];
}
export const benchDir: string;
export function measureBundle(source: string, options?: { external?: string[] }): Promise<BundleMeasurement>;
export function everything(spec: string): string;
export function versionOf(name: string): string;
export const sizeTargets: Array<{ name: string; source: string; pkg?: string; external?: string[]; onTopOf?: string; peer?: boolean }>;
