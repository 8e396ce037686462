// Pure planning for the build's chunk merge (scripts/bundle.mjs): which of esbuild's shared chunks
// to put into which other chunk, from the chunk graph alone. No file is read or written here.

/**
 * Largest chunk merged into another. Whoever loads the target without having loaded the chunk
 * before reads it for nothing; a small chunk costs them less than the file it saves the others.
 */
export const MAX_MERGED_BYTES = 32 * 1024;

/** Which entries load each chunk (or builtin): every file an entry's static imports reach. */
function entriesLoading(imports, entries) {
  const loadedBy = new Map();
  for (const entry of entries) {
    const stack = [entry];
    const seen = new Set(stack);
    while (stack.length)
      for (const next of imports.get(stack.pop()) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        loadedBy.set(next, (loadedBy.get(next) ?? new Set()).add(entry));
        stack.push(next);
      }
  }
  return loadedBy;
}

const isSubset = (small, big) => [...small].every((x) => big.has(x));

/**
 * esbuild splits the modules that several lazily imported commands share into one chunk per set
 * of commands that share them, so a command loads up to two dozen files of 1-20 KB, and Node pays
 * for each file it resolves, reads and links. A chunk merges into another when:
 * - every run that loads it loads the target too (so nobody loads a file more than before), and
 * - everything it loads is loaded by every run that loads the target (so the merge brings nobody
 *   a file or builtin they did not load before: at most the chunk's own bytes), and
 * - it is at most `maxBytes`.
 * Of the possible targets, the one that the fewest runs load without the chunk (fewest readers of
 * bytes they do not need), then the largest, then by name. Repeated until nothing merges.
 *
 * @param files chunk file name -> its size and what it loads: the chunk files it imports
 *   statically, and other modules (a Node builtin it requires: node:crypto costs more than a file)
 * @param entries files loaded by dynamic import: what a run starts from (never merged)
 * @returns target -> the chunks merged into it, each target a file of `files` that stays
 */
export function planChunkMerges(files, entries, maxBytes = MAX_MERGED_BYTES) {
  const imports = new Map(Object.entries(files).map(([file, { imports }]) => [file, new Set(imports)]));
  const bytes = new Map(Object.entries(files).map(([file, info]) => [file, info.bytes]));
  const isEntry = new Set(entries);
  const groups = new Map();
  for (;;) {
    const loadedBy = entriesLoading(imports, entries);
    const candidates = [...imports.keys()].filter((file) => !isEntry.has(file) && loadedBy.has(file));
    let best;
    for (const chunk of candidates) {
      if (bytes.get(chunk) > maxBytes) continue;
      for (const target of candidates) {
        if (target === chunk || !isSubset(loadedBy.get(chunk), loadedBy.get(target))) continue;
        const bringsNoFile = [...imports.get(chunk)].every(
          (i) => i === target || isSubset(loadedBy.get(target), loadedBy.get(i) ?? new Set()),
        );
        if (!bringsNoFile) continue;
        const needless = loadedBy.get(target).size - loadedBy.get(chunk).size;
        const better =
          !best ||
          needless < best.needless ||
          (needless === best.needless &&
            (bytes.get(target) > bytes.get(best.target) || (bytes.get(target) === bytes.get(best.target) && target < best.target)));
        if (better) best = { chunk, target, needless };
      }
    }
    if (!best) break;
    const { chunk, target } = best;
    groups.set(target, [...(groups.get(target) ?? []), chunk, ...(groups.get(chunk) ?? [])]);
    groups.delete(chunk);
    bytes.set(target, bytes.get(target) + bytes.get(chunk));
    for (const i of imports.get(chunk)) if (i !== target) imports.get(target).add(i);
    imports.get(target).delete(chunk);
    imports.delete(chunk);
    bytes.delete(chunk);
    for (const [file, set] of imports) if (set.delete(chunk) && file !== target) set.add(target);
  }
  return groups;
}
