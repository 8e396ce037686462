/**
 * Layering for profiles, overlays and `--set`, exactly as istioctl layers IstioOperator files
 * (istio/operator/pkg/values Map.MergeFrom): objects merge key by key and the later layer wins;
 * anything that is not an object on both sides — a list, a scalar, a YAML null — replaces what
 * was there. A null is kept as a value, never turned into "remove the key": istioctl hands it to
 * Helm, where it drops the chart default. Matching istioctl here is what makes
 * `mesh render -f a -f b` install what `istioctl install -f a -f b` installs.
 */
export type Tree = Record<string, unknown>;

export const isTree = (value: unknown): value is Tree => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A new tree: `overlay` merged onto `base`; neither input is modified or shared with the result. */
export function mergeFrom(base: Tree, overlay: Tree): Tree {
  const out: Tree = structuredClone(base);
  mergeInto(out, overlay);
  return out;
}

function mergeInto(target: Tree, overlay: Tree): void {
  for (const [key, value] of Object.entries(overlay)) {
    const current = target[key];
    if (isTree(value) && isTree(current)) mergeInto(current, value);
    else target[key] = structuredClone(value);
  }
}

/** A copy with object keys sorted, so rendered output is byte-stable whatever the layering order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return (value as unknown[]).map((item) => sortKeys(item)) as T;
  if (!isTree(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  ) as T;
}

/** A value as it reads in a one-line message: strings bare, anything else as JSON. */
export const inline = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));

/** Reads a dotted path (no list segments) from a tree; undefined where any step is not an object. */
export function getPath(tree: unknown, path: string[]): unknown {
  let node: unknown = tree;
  for (const key of path) {
    if (!isTree(node)) return undefined;
    node = node[key];
  }
  return node;
}
