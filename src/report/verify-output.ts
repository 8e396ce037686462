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

export function verifyText(report: VerifyReport, paint: Paint = plain): string {
  const mark = { ok: paint.green('√'), warn: paint.yellow('‼'), fail: paint.red('×'), skip: paint.dim('-') };
  const lines: string[] = [];
  for (const category of report.categories) {
    lines.push(paint.bold(category.id), '-'.repeat(category.id.length));
    for (const c of category.checks) {
      lines.push(`${mark[c.status]} ${c.description}: ${c.message} ${paint.dim(`[${c.id}]`)}`);
      if ((c.status === 'fail' || c.status === 'warn') && c.hint) lines.push(`    ${paint.dim('hint:')} ${c.hint}`);
    }
    lines.push('');
  }
  const s = report.summary;
  const verdict = report.success ? paint.green('Status check results are √') : paint.red('Status check results are ×');
  lines.push(
    `${verdict}  (${s.ok} ok, ${s.warn} warn, ${s.fail} fail, ${s.skip} skipped; ` +
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
  const skipped = all.filter((c) => c.status === 'skip').length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mesh verify" tests="${all.length}" failures="${failures}" skipped="${skipped}" ` +
      `time="${(report.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const category of report.categories) {
    const f = category.checks.filter((c) => c.status === 'fail').length;
    const sk = category.checks.filter((c) => c.status === 'skip').length;
    out.push(`  <testsuite name="${xml(category.id)}" tests="${category.checks.length}" failures="${f}" skipped="${sk}">`);
    for (const c of category.checks) {
      out.push(`    <testcase classname="mesh.verify.${xml(category.id)}" name="${xml(c.id)}">`);
      if (c.status === 'fail')
        out.push(`      <failure message="${xml(c.message)}">${xml(`${c.message}\nhint: ${c.hint ?? ''}`)}</failure>`);
      if (c.status === 'skip') out.push(`      <skipped message="${xml(c.message)}"/>`);
      if (c.status === 'warn' || c.status === 'ok')
        out.push(`      <system-out>${xml(`${c.status}: ${c.message}${c.hint ? `\nhint: ${c.hint}` : ''}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
