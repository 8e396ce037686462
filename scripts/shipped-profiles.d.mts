// Types for shipped-profiles.mjs, so its unit test is type-checked.
export declare function parseShippedProfiles(dir: string): Record<string, { text: string; tree: Record<string, unknown> }>;
