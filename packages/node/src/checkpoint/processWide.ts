/**
 * A Map shared by every copy of this module in the process (the ESM and the CommonJS build
 * loaded side by side, two versions in node_modules): per-module maps made such copies
 * interleave their writes, and each would take the other's saves for another process's.
 */
export function processWide<V>(name: string): Map<string, V> {
  const registry = globalThis as unknown as Record<symbol, Map<string, V> | undefined>;
  const key = Symbol.for(`@lifeline/node/fileCheckpoint/${name}`);
  return (registry[key] ??= new Map<string, V>());
}
