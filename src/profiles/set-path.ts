import { posix } from 'node:path';
import { usageError } from '../errors.js';
import { isTree, type Tree } from './merge.js';

/**
 * istioctl's `--set` syntax and semantics (istio/operator/pkg/values Map.SetPaths), so that
 * `mesh render --set X` and `istioctl manifest generate --set X` mean the same thing:
 * `a.b.c=value`, list indexes `a.b[0].c` (an index past the end appends), list selection by a
 * string field `a.b[name:foo].c`, and `\.` for a dot inside a key. Values are typed as istioctl
 * types them: an integer, else a float, else a Go boolean (`true`, `T`, `FALSE`, ...), else the
 * text with `\,` turned into `,`; a few paths (tags, proxyMetadata) always stay strings. No shell
 * ever sees a value.
 */
export type PathSegment =
  { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'select'; field: string; value: string };

export interface SetAssignment {
  raw: string;
  path: PathSegment[];
  value: unknown;
}

const EXAMPLE_HINT = 'paths look like components.ingressGateways[name:istio-ingressgateway].enabled=false';

export function parseSet(raw: string): SetAssignment {
  const eq = raw.indexOf('=');
  if (eq === -1) throw usageError(`--set ${raw}: expected path=value`, 'e.g. --set values.pilot.traceSampling=100');
  const pathText = raw.slice(0, eq).trim();
  if (!pathText) throw usageError(`--set ${raw}: expected path=value`, 'e.g. --set values.pilot.traceSampling=100');
  const valueText = raw.slice(eq + 1).trim();
  const path = parsePath(pathText, raw);
  return { raw, path, value: isAlwaysString(pathText) ? valueText : typeValue(valueText, raw) };
}

/** Paths (relative to the spec) whose values istioctl never types as numbers or booleans. */
const ALWAYS_STRING = [
  'values.compatibilityVersion',
  'tag',
  'values.global.tag',
  'meshConfig.defaultConfig.proxyMetadata.',
  'values.meshConfig.defaultConfig.proxyMetadata.',
  'compatibilityVersion',
];
const isAlwaysString = (path: string): boolean => ALWAYS_STRING.some((prefix) => path.startsWith(prefix));

/** Splits on dots not escaped by a backslash. */
function splitEscaped(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '.' || (i > 0 && text[i - 1] === '\\')) continue;
    out.push(text.slice(start, i));
    start = i + 1;
  }
  out.push(text.slice(start));
  return out;
}

/** Go's filepath.Clean, which istioctl applies to the path first (it only matters for keys with `/`). */
function cleanPath(text: string): string {
  const cleaned = posix.normalize(text);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

export function parsePath(text: string, raw = text): PathSegment[] {
  const bad = (why: string) => usageError(`--set ${raw}: ${why}`, EXAMPLE_HINT);
  let path = cleanPath(text);
  if (path.startsWith('.')) path = path.slice(1);
  if (path.endsWith('.') && !path.endsWith('\\.')) path = path.slice(0, -1);
  const segments: PathSegment[] = [];
  for (const piece of splitEscaped(path)) {
    if (!piece) continue; // istioctl skips empty segments: a..b is a.b
    const part = piece.replaceAll('\\.', '.');
    const open = part.indexOf('[');
    if (open === -1) {
      if (part.includes(']')) throw bad(`unexpected "]" in "${part}"`);
      segments.push({ kind: 'key', key: part });
      continue;
    }
    if (open === 0) throw bad(`a list selector needs a field before it ("${part}")`);
    if (!part.endsWith(']') || part.indexOf(']') !== part.length - 1 || part.indexOf('[', open + 1) !== -1)
      throw bad(`"${part.slice(open)}" is not one [index] or [field:value] selector`);
    segments.push({ kind: 'key', key: part.slice(0, open) });
    const inner = part.slice(open + 1, -1);
    const colon = inner.indexOf(':');
    if (/^[+-]?\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
    else if (colon > 0) segments.push({ kind: 'select', field: inner.slice(0, colon), value: inner.slice(colon + 1) });
    else throw bad(`"[${inner}]" is neither an index nor a field:value selector`);
  }
  if (segments.length === 0) throw bad('empty path');
  return segments;
}

const GO_INT = /^[+-]?\d+$/;
const GO_DECIMAL_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const GO_HEX_FLOAT = /^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/;
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.Atoi, then ParseFloat, then ParseBool, else a string: istioctl's parseValue. */
export function typeValue(text: string, raw = text): unknown {
  if (GO_INT.test(text)) {
    const big = BigInt(text);
    if (big <= INT64_MAX && big >= -INT64_MAX - 1n) return Number(big);
  }
  if (GO_DECIMAL_FLOAT.test(text) || GO_HEX_FLOAT.test(text)) {
    const n = GO_HEX_FLOAT.test(text) ? parseHexFloat(text) : Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (/^[+-]?(inf|infinity|nan)$/i.test(text))
    throw usageError(
      `--set ${raw}: ${text} is not a finite number, and istioctl reads it as one`,
      'quote it in an overlay file instead (key: "inf")',
    );
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return text.replaceAll('\\,', ',');
}

function parseHexFloat(text: string): number {
  const match = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(text)!;
  const [, sign, whole, fraction, exponent] = match as unknown as [string, string, string, string, string];
  const mantissa = Number.parseInt(whole || '0', 16) + (fraction ? Number.parseInt(fraction, 16) / 16 ** fraction.length : 0);
  return (sign === '-' ? -1 : 1) * mantissa * 2 ** Number(exponent);
}

export const formatPath = (path: PathSegment[]): string =>
  path
    .map((s, i) =>
      s.kind === 'key' ? `${i ? '.' : ''}${s.key.replaceAll('.', '\\.')}` : s.kind === 'index' ? `[${s.index}]` : `[${s.field}:${s.value}]`,
    )
    .join('');

/** Applies one assignment to a copy of the tree, creating objects and lists on the way as istioctl does. */
export function applySet(tree: Tree, assignment: SetAssignment): Tree {
  const root = structuredClone(tree);
  const { path, raw } = assignment;
  const fail = (why: string) => usageError(`--set ${raw}: ${why}`, EXAMPLE_HINT);
  let node: Tree = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (segment.kind !== 'key') throw fail(`${formatPath(path.slice(0, i + 1))} selects in something that is not a list`);
    const next = path[i + 1];
    const here = formatPath(path.slice(0, i + 1));
    if (next === undefined) {
      node[segment.key] = structuredClone(assignment.value);
      break;
    }
    if (next.kind === 'key') {
      if (node[segment.key] === undefined) node[segment.key] = {};
      const child = node[segment.key];
      if (!isTree(child)) throw fail(`${here} is ${describe(child)}, not an object`);
      node = child;
      continue;
    }
    if (node[segment.key] === undefined) node[segment.key] = [];
    const list = node[segment.key];
    if (!Array.isArray(list)) throw fail(`${here} is ${describe(list)}, not a list`);
    let index: number;
    if (next.kind === 'select') {
      index = list.findIndex((item) => isTree(item) && item[next.field] === next.value);
      if (index === -1) throw fail(`no item with ${next.field}: ${next.value} in ${here}`);
    } else index = next.index;
    const last = i + 2 === path.length;
    if (index < 0 || index >= list.length) {
      // istioctl appends when the index is past the end (or negative).
      if (last) list.push(structuredClone(assignment.value));
      else {
        const item: Tree = {};
        list.push(item);
        node = item;
        i++;
        continue;
      }
      break;
    }
    if (last) {
      list[index] = structuredClone(assignment.value);
      break;
    }
    const item: unknown = list[index];
    if (!isTree(item)) throw fail(`${formatPath(path.slice(0, i + 2))} is ${describe(item)}, not an object`);
    node = item;
    i++;
  }
  return root;
}

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : `the ${typeof value} ${JSON.stringify(value)}`;
