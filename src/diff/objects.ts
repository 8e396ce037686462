import diff from 'microdiff';
import { parseAllDocuments } from 'yaml';
import { isTree, type Tree } from '../profiles/merge.js';

/**
 * Pure helpers for `mesh diff` and drift: rendered manifests as objects, and what changes when
 * the cluster's copy of one takes a new render. No I/O here; src/diff/compare.ts reads the cluster.
 */
export interface ManifestObject extends Tree {
  apiVersion: string;
  kind: string;
  metadata: Tree & { name: string; namespace?: string };
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

const isObject = (value: unknown): value is ManifestObject =>
  isTree(value) &&
  typeof value.apiVersion === 'string' &&
  typeof value.kind === 'string' &&
  isTree(value.metadata) &&
  typeof value.metadata.name === 'string';

/** Every object in a multi-document YAML stream (istioctl manifest generate, helm template), Lists expanded. */
export function parseManifests(text: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`rendered manifest is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    const items = isTree(value) && value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
    for (const item of items) if (isObject(item)) out.push(item);
  }
  return out;
}

export const refOf = (o: ObjectRef): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  ...(o.namespace ? { namespace: o.namespace } : {}),
  name: o.name,
});
export const refOfObject = (o: ManifestObject): ObjectRef =>
  refOf({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });

/** The API group (not the version): an object moved from v1beta1 to v1 is the same object. */
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
export const keyOf = (o: ObjectRef): string => `${o.kind}.${groupOf(o.apiVersion)}/${o.namespace ?? ''}/${o.name}`;
export const formatRef = (o: ObjectRef): string => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** Fields the API server or controllers write that say nothing about what an install asked for. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];
const SERVER_ANNOTATIONS = ['deprecated.daemonset.template.generation', 'kubectl.kubernetes.io/last-applied-configuration'];

/** An object as compared: without status and server bookkeeping. */
export function comparable(object: Tree): Tree {
  const { status: _status, ...rest } = object;
  const metadata = isTree(rest.metadata) ? { ...rest.metadata } : {};
  for (const key of SERVER_METADATA) delete metadata[key];
  if (isTree(metadata.annotations)) {
    const annotations = { ...metadata.annotations };
    for (const key of SERVER_ANNOTATIONS) delete annotations[key];
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}

/**
 * A path into an object. A list item is named by its `name` when the list's items have names
 * (containers, env, ports, webhooks: the lists Kubernetes merges by key), else by its index.
 */
export type Segment = string | number | { name: string };
export type FieldPath = Segment[];

export const formatPath = (path: FieldPath): string =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : typeof s === 'string' ? `${i ? '.' : ''}${s}` : `[name=${s.name}]`)).join('');

const named = (list: unknown[]): list is Array<Tree & { name: string }> =>
  list.length > 0 && list.every((item) => isTree(item) && typeof item.name === 'string');

/**
 * Fields the previous render set that the next one no longer does: an installer that owns what it
 * applied (istioctl's server-side apply, helm's three-way merge) removes exactly these.
 */
export function removedPaths(previous: unknown, next: unknown, at: FieldPath = []): FieldPath[] {
  if (isTree(previous)) {
    if (!isTree(next)) return next === undefined ? [at] : [];
    return Object.keys(previous).flatMap((key) => (key in next ? removedPaths(previous[key], next[key], [...at, key]) : [[...at, key]]));
  }
  if (Array.isArray(previous) && Array.isArray(next) && named(previous) && (next.length === 0 || named(next)))
    return previous.flatMap((item) => {
      const match: unknown = (next as unknown[]).find((n) => isTree(n) && n.name === item.name);
      return match ? removedPaths(item, match, [...at, { name: item.name }]) : [[...at, { name: item.name }]];
    });
  return [];
}

/** A copy of `object` without the fields at `paths` (paths that are not there are skipped). */
export function withoutPaths<T>(object: T, paths: FieldPath[]): T {
  const copy = structuredClone(object);
  for (const path of paths) {
    let node: unknown = copy;
    for (const [i, segment] of path.entries()) {
      const last = i === path.length - 1;
      if (typeof segment === 'object') {
        if (!Array.isArray(node)) break;
        const index = node.findIndex((item) => isTree(item) && item.name === segment.name);
        if (index === -1) break;
        if (last) node.splice(index, 1);
        else node = node[index];
      } else if (isTree(node) && typeof segment === 'string' && segment in node) {
        if (last) delete node[segment];
        else node = node[segment];
      } else break;
    }
  }
  return copy;
}

export interface FieldChange {
  op: 'add' | 'remove' | 'change';
  path: string;
  from?: unknown;
  to?: unknown;
}

/** Values under these never leave the process: a diff of a Secret says which keys changed, not to what. */
const REDACTED = '<redacted>';
const isSecretData = (kind: string, path: Segment[]) => kind === 'Secret' && (path[0] === 'data' || path[0] === 'stringData');

/**
 * A copy where every list whose items all have distinct names becomes a map keyed `[name=X]`, so
 * that an env variable inserted at the top is one addition, not a shift of every later item.
 */
const NAME_KEY = /^\[name=(.*)\]$/;
function keyedByName(value: unknown): unknown {
  if (Array.isArray(value)) {
    const names = value.map((item) => (isTree(item) && typeof item.name === 'string' ? item.name : undefined));
    if (value.length && names.every((n) => n !== undefined) && new Set(names).size === names.length)
      return Object.fromEntries(value.map((item, i) => [`[name=${names[i]}]`, keyedByName(item)]));
    return value.map(keyedByName);
  }
  if (isTree(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keyedByName(v)]));
  return value;
}

const segmentOf = (key: string | number): Segment => {
  const named = typeof key === 'string' ? NAME_KEY.exec(key) : null;
  return named ? { name: named[1] } : key;
};

/** Values as they were before keyedByName (a named list's map back to its list). */
function unkeyed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unkeyed);
  if (!isTree(value)) return value;
  const entries = Object.entries(value);
  if (entries.length && entries.every(([k]) => NAME_KEY.test(k))) return entries.map(([, v]) => unkeyed(v));
  return Object.fromEntries(entries.map(([k, v]) => [k, unkeyed(v)]));
}

/** What taking `desired` would change in `live`, field by field (both already `comparable`). */
export function fieldChanges(kind: string, live: Tree, desired: Tree): FieldChange[] {
  return diff(keyedByName(live) as Tree, keyedByName(desired) as Tree).map((d) => {
    const path = d.path.map(segmentOf);
    const hide = isSecretData(kind, path);
    const value = (v: unknown) => (hide ? REDACTED : unkeyed(v));
    if (d.type === 'CREATE') return { op: 'add', path: formatPath(path), to: value(d.value) };
    if (d.type === 'REMOVE') return { op: 'remove', path: formatPath(path), from: value(d.oldValue) };
    return { op: 'change', path: formatPath(path), from: value(d.oldValue), to: value(d.value) };
  });
}
