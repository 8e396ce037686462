import { usageError } from '../errors.js';
import { isTree, type Tree } from './merge.js';

/**
 * istioctl's `--set` path syntax: `a.b.c=value`, list indexes `a.b[0].c`, list selection by a
 * field `a.b[name:foo].c`, and `\.` for a dot inside a key (annotation names). Values are typed
 * as istioctl types them: true/false, numbers, else a string kept verbatim (no shell, no eval).
 */
export type PathSegment =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'select'; field: string; value: string };

export interface SetAssignment {
  raw: string;
  path: PathSegment[];
  value: unknown;
}

export function parseSet(raw: string): SetAssignment {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw usageError(`--set ${raw}: expected path=value`, 'e.g. --set values.pilot.traceSampling=100');
  const pathText = raw.slice(0, eq);
  return { raw, path: parsePath(pathText, raw), value: typeValue(raw.slice(eq + 1)) };
}

export function parsePath(text: string, raw = text): PathSegment[] {
  const segments: PathSegment[] = [];
  let key = '';
  const bad = (why: string) =>
    usageError(`--set ${raw}: ${why}`, 'paths look like components.ingressGateways[name:istio-ingressgateway].enabled');
  const flushKey = () => {
    if (key) segments.push({ kind: 'key', key });
    key = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && text[i + 1] === '.') {
      key += '.';
      i++;
    } else if (ch === '.') {
      if (!key && segments.at(-1)?.kind === 'key') throw bad('empty path segment');
      if (!key && segments.length === 0) throw bad('path starts with "."');
      flushKey();
    } else if (ch === '[') {
      flushKey();
      if (segments.length === 0) throw bad('a list selector needs a field before it');
      const close = text.indexOf(']', i);
      if (close === -1) throw bad('unclosed "["');
      const inner = text.slice(i + 1, close);
      const colon = inner.indexOf(':');
      if (/^\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (colon > 0 && colon < inner.length - 1)
        segments.push({ kind: 'select', field: inner.slice(0, colon), value: inner.slice(colon + 1) });
      else throw bad(`"[${inner}]" is neither an index nor a field:value selector`);
      i = close;
      if (i + 1 < text.length && text[i + 1] !== '.' && text[i + 1] !== '[') throw bad('expected "." after "]"');
    } else if (/[\s=\]]/.test(ch)) {
      throw bad(`unexpected "${ch}" in path`);
    } else {
      key += ch;
    }
  }
  if (text.endsWith('.')) throw bad('path ends with "."');
  flushKey();
  if (segments.length === 0) throw bad('empty path');
  return segments;
}

export function typeValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n) || !Number.isInteger(n)) return n;
  }
  return text;
}

export const formatPath = (path: PathSegment[]): string =>
  path
    .map((s, i) =>
      s.kind === 'key' ? `${i ? '.' : ''}${s.key.replaceAll('.', '\\.')}` : s.kind === 'index' ? `[${s.index}]` : `[${s.field}:${s.value}]`,
    )
    .join('');

/** Applies one assignment to a tree (mutating a copy), creating intermediate objects as needed. */
export function applySet(tree: Tree, assignment: SetAssignment): Tree {
  const root = structuredClone(tree);
  const { path, raw } = assignment;
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    const where = formatPath(path.slice(0, i + 1));
    if (segment.kind === 'key') {
      if (!isTree(node)) throw usageError(`--set ${raw}: ${formatPath(path.slice(0, i)) || 'root'} is not an object`);
      if (last) node[segment.key] = assignment.value;
      else {
        if (node[segment.key] === undefined) node[segment.key] = path[i + 1]!.kind === 'key' ? {} : [];
        node = node[segment.key];
      }
      continue;
    }
    if (!Array.isArray(node)) throw usageError(`--set ${raw}: ${formatPath(path.slice(0, i))} is not a list`);
    let index: number;
    if (segment.kind === 'index') {
      index = segment.index;
      if (index > node.length) throw usageError(`--set ${raw}: ${where} is past the end of a list of ${node.length}`);
    } else {
      index = node.findIndex((item) => isTree(item) && String(item[segment.field]) === segment.value);
      if (index === -1)
        throw usageError(`--set ${raw}: no item with ${segment.field}=${segment.value} in ${formatPath(path.slice(0, i))}`);
    }
    if (last) node[index] = assignment.value;
    else {
      if (node[index] === undefined) node[index] = path[i + 1]!.kind === 'key' ? {} : [];
      node = node[index];
    }
  }
  return root;
}
