import type { Tree } from './merge.js';

/**
 * The shipped profiles as the build parsed them (scripts/shipped-profiles.mjs), as JSON text:
 * esbuild writes it into the bundle. Run from source (the unit tests), there is none.
 */
declare const MESH_SHIPPED_PROFILES: string | undefined;

let parsed: Record<string, { text: string; tree: Tree }> | undefined;

/**
 * The tree of a shipped profile whose text is exactly what the build parsed, else undefined (then
 * the caller parses it). Parsing the few hundred bytes of a profile cold ran the yaml library's
 * parser for the first time in the process: about 6% of `mesh render` (farm-bench).
 */
export function parsedAtBuild(file: string, text: string): Tree | undefined {
  if (typeof MESH_SHIPPED_PROFILES === 'undefined') return undefined;
  parsed ??= JSON.parse(MESH_SHIPPED_PROFILES) as Record<string, { text: string; tree: Tree }>;
  const entry = parsed[file];
  return entry?.text === text ? structuredClone(entry.tree) : undefined;
}
