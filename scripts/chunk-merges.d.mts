// Types for chunk-merges.mjs, so its unit test is type-checked.
export declare const MAX_MERGED_BYTES: number;
export declare function planChunkMerges(
  files: Record<string, { bytes: number; imports: string[] }>,
  entries: string[],
  maxBytes?: number,
): Map<string, string[]>;
