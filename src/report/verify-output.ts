import type { VerifyReport } from '../verify/types.js';

/** Paint functions; identity when colour is off, chalk when on (loaded by the caller). */
export interface Paint {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}
export const plain: Paint = { green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s, bold: (s) => s };

/** Text stays readable at any size: a message longer than this is cut at a list item; JSON keeps it all. */
export const TEXT_MESSAGE_LIMIT = 400;

/** Cuts a long message after whole `, `/`; ` separated items and says how many more there are. */
export function shorten(message: string, limit = TEXT_MESSAGE_LIMIT): string {
  if (message.length <= limit) return message;
  const items = message.split(/(?<=[,;]) /);
  let kept = '';
  let count = 0;
  while (count < items.length && kept.length + items[count].length <= limit) kept += `${count ? ' ' : ''}${items[count++]}`;
  if (count === 0) return `${message.slice(0, limit)}… (${message.length - limit} more characters; -o json shows all)`;
  return `${kept.replace(/[,;]$/, '')} … and ${items.length - count} more (-o json lists all)`;
}

export function verifyText(report: VerifyReport, paint: Paint = plain): string {
  const mark = { ok: paint.green('√'), warn: paint.yellow('‼'), fail: paint.red('×'), skip: paint.dim('-'), unknown: paint.yellow('?') };
  const lines: string[] = [];
  for (const category of report.categories) {
    lines.push(paint.bold(category.id), '-'.repeat(category.id.length));
    for (const c of category.checks) {
      lines.push(`${mark[c.status]} ${c.description}: ${shorten(c.message)} ${paint.dim(`[${c.id}]`)}`);
      if (c.status !== 'ok' && c.status !== 'skip' && c.hint) lines.push(`    ${paint.dim('hint:')} ${c.hint}`);
    }
    lines.push('');
  }
  const s = report.summary;
  const verdict = report.success ? paint.green('Status check results are √') : paint.red('Status check results are ×');
  lines.push(
    `${verdict}  (${s.ok} ok, ${s.warn} warn, ${s.fail} fail, ${s.unknown} unknown, ${s.skip} skipped; ` +
      `${report.apiRequests} API requests, ${report.durationMs} ms)`,
  );
  return `${lines.join('\n')}\n`;
}

export const verifyJson = (report: VerifyReport): string => `${JSON.stringify(report, null, 2)}\n`;

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** JUnit XML, one testcase per check, for CI test reporters. */
export function verifyJunit(report: VerifyReport): string {
  const all = report.categories.flatMap((c) => c.checks);
  const failures = all.filter((c) => c.status === 'fail').length;
  // An unknown check is reported as skipped: nothing was observed, neither a pass nor a failure.
  const notRun = (c: { status: string }) => c.status === 'skip' || c.status === 'unknown';
  const skipped = all.filter(notRun).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mesh verify" tests="${all.length}" failures="${failures}" skipped="${skipped}" ` +
      `time="${(report.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const category of report.categories) {
    const f = category.checks.filter((c) => c.status === 'fail').length;
    const sk = category.checks.filter(notRun).length;
    out.push(`  <testsuite name="${xml(category.id)}" tests="${category.checks.length}" failures="${f}" skipped="${sk}">`);
    for (const c of category.checks) {
      out.push(`    <testcase classname="mesh.verify.${xml(category.id)}" name="${xml(c.id)}">`);
      if (c.status === 'fail')
        out.push(`      <failure message="${xml(c.message)}">${xml(`${c.message}\nhint: ${c.hint ?? ''}`)}</failure>`);
      if (c.status === 'skip') out.push(`      <skipped message="${xml(c.message)}"/>`);
      if (c.status === 'unknown') out.push(`      <skipped message="${xml(`unknown: ${c.message}`)}"/>`);
      if (c.status === 'warn' || c.status === 'ok')
        out.push(`      <system-out>${xml(`${c.status}: ${c.message}${c.hint ? `\nhint: ${c.hint}` : ''}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
