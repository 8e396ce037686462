import { structuredPatch } from 'diff';
import type { ObjectDiff } from './compare.js';
import { formatRef, type FieldChange } from './objects.js';

/** `mesh diff` and drift as data and as text. */
export interface DiffSummary {
  create: number;
  change: number;
  delete: number;
  unchanged: number;
  unknown: number;
}

export const summarize = (diffs: ObjectDiff[]): DiffSummary => {
  const summary: DiffSummary = { create: 0, change: 0, delete: 0, unchanged: 0, unknown: 0 };
  for (const d of diffs) summary[d.action]++;
  return summary;
};

export const hasDifferences = (s: DiffSummary) => s.create + s.change + s.delete > 0;

/** Values print as compact JSON, long ones cut: a whole CRD schema helps nobody in a diff line. */
const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/**
 * A change of a multi-line string (a ConfigMap holding JSON or YAML) as a unified diff of its
 * lines, one line of context, at most MAX_LINES lines.
 */
function changedLines(from: string, to: string, indent: string): string[] {
  const lines = structuredPatch('', '', from, to, '', '', { context: 1 }).hunks.flatMap((h) => [
    `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
    // jsdiff marks a last line without a newline; in a ConfigMap value that is no news.
    ...h.lines.filter((l) => !l.startsWith('\\')),
  ]);
  const shown = lines.slice(0, MAX_LINES).map((l) => `${indent}${l}`);
  return lines.length > MAX_LINES ? [...shown, `${indent}(${lines.length - MAX_LINES} more lines)`] : shown;
}
const MAX_LINES = 40;

export function formatChange(c: FieldChange, indent = ''): string[] {
  if (c.op === 'change' && typeof c.from === 'string' && typeof c.to === 'string' && (c.from.includes('\n') || c.to.includes('\n')))
    return [`${indent}~ ${c.path}:`, ...changedLines(c.from, c.to, `${indent}    `)];
  if (c.op === 'add') return [`${indent}+ ${c.path}: ${show(c.to)}`];
  if (c.op === 'remove') return [`${indent}- ${c.path}: ${show(c.from)}`];
  return [`${indent}~ ${c.path}: ${show(c.from)} -> ${show(c.to)}`];
}

/** One line per object that differs (or could not be read), its field changes under it. */
export function diffLines(diffs: ObjectDiff[], indent = ''): string[] {
  const lines: string[] = [];
  for (const d of diffs) {
    if (d.action === 'unchanged') continue;
    lines.push(`${indent}${d.action.padEnd(9)} ${formatRef(d.object)}${d.reason ? `: ${d.reason}` : ''}`);
    for (const c of d.changes ?? []) lines.push(...formatChange(c, `${indent}            `));
  }
  return lines;
}

export const summaryLine = (s: DiffSummary): string =>
  `${s.create} to create, ${s.change} to change, ${s.delete} to delete, ${s.unchanged} unchanged` +
  (s.unknown ? `, ${s.unknown} unknown (could not be compared)` : '');
