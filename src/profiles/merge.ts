/**
 * Layering for profiles, overlays and `--set`: objects merge key by key, a later `null`
 * removes a key (as in Helm), and lists of named items (gateways, env) merge by `name`
 * like Kubernetes' strategic merge; any other list is replaced whole.
 */
export type Tree = Record<string, unknown>;

export const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isNamedList = (value: unknown): value is Array<Tree & { name: string }> =>
  Array.isArray(value) && value.length > 0 && value.every((item) => isTree(item) && typeof item.name === 'string');

export function deepMerge(base: Tree, overlay: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = out[key];
    if (value === null) delete out[key];
    else if (isTree(current) && isTree(value)) out[key] = deepMerge(current, value);
    else if (isNamedList(current) && isNamedList(value)) out[key] = mergeByName(current, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function mergeByName(base: Array<Tree & { name: string }>, overlay: Array<Tree & { name: string }>): Tree[] {
  const merged: Tree[] = base.map((item) => structuredClone(item));
  for (const item of overlay) {
    const index = merged.findIndex((existing) => existing.name === item.name);
    if (index === -1) merged.push(structuredClone(item));
    else merged[index] = deepMerge(merged[index]!, item);
  }
  return merged;
}

/** A copy with object keys sorted, so rendered output is byte-stable whatever the layering order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item)) as T;
  if (!isTree(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  ) as T;
}
